from odoo import http
from odoo.http import request
from odoo.tools.misc import get_lang

# Every page is public (the answer link's token designates the request) and off the sitemap.
PUBLIC_PAGE = {"type": "http", "auth": "public", "sitemap": False}


class SatisfactionController(http.Controller):
    """One-click answers from the survey email.

    The GET only shows the page with the clicked score preselected: mail scanners
    follow links (and some run scripts), so nothing is recorded until the customer
    presses Confirm, which POSTs the form with its CSRF token.
    """

    def _get_request_sudo(self, token):
        """The answerable request of ``token``, as superuser, or None."""
        survey_request = request.env["satisfaction.request"]._get_by_token(token)
        return survey_request if survey_request and survey_request._is_answerable() else None

    def _render(self, survey_request, template, values=None, status=200):
        lang = (survey_request and survey_request.partner_id.lang) or get_lang(request.env).code
        html = (
            request.env["ir.ui.view"]
            .with_context(lang=lang)
            ._render_template(
                template,
                # the survey's own texts too, not only the page's, in the customer's language
                dict(
                    values or {},
                    survey_request=survey_request and survey_request.with_context(lang=lang),
                    **self._branding(survey_request, lang),
                ),
            )
        )
        return request.make_response(html, status=status)

    def _branding(self, survey_request, lang):
        """The company's name and logo on the page and in the browser's tab title."""
        company = (survey_request and survey_request.company_id) or request.env.company
        company = company.sudo().with_context(lang=lang)  # sudo: a public visitor, name and logo
        title = (survey_request and survey_request.survey_id.with_context(lang=lang).title) or ""
        return {
            "company": company,
            "title": f"{title} - {company.name}" if title else company.name,
        }

    def _invalid(self):
        return self._render(None, "satisfaction_survey.satisfaction_page_invalid", status=404)

    def _answer_page(self, survey_request, token, score=None):
        """The answer page, ``score`` preselected; the invalid page for a score off the scale."""
        low, high = survey_request._get_score_range()
        if score is not None and not low <= score <= high:
            return self._invalid()
        return self._render(
            survey_request,
            "satisfaction_survey.satisfaction_page_answer",
            {"token": token, "score": score, "scores": range(low, high + 1)},
        )

    @http.route(
        "/satisfaction/<string:token>/<int:score>",
        methods=["GET"],
        readonly=True,  # shows a page, never writes: may be served by a read replica
        **PUBLIC_PAGE,
    )
    def satisfaction_open(self, token, score, **kwargs):
        survey_request = self._get_request_sudo(token)
        if not survey_request:
            return self._invalid()
        return self._answer_page(survey_request, token, score)

    @http.route("/satisfaction/<string:token>/submit", methods=["POST"], **PUBLIC_PAGE)
    def satisfaction_submit(self, token, score=None, comment=None, **kwargs):
        # The row is locked while recording: a second Confirm at the same time waits,
        # then finds the same answer ("unchanged") and shows the same thanks page.
        requests = request.env["satisfaction.request"]
        survey_request, outcome = requests._submit_answer(token, score, comment)
        if outcome == "invalid":
            return self._invalid()
        if outcome == "capped":
            return self._render(
                survey_request, "satisfaction_survey.satisfaction_page_answer_locked"
            )
        return self._render(survey_request, "satisfaction_survey.satisfaction_page_thanks")

    @http.route(
        "/satisfaction/<string:token>/submit",
        methods=["GET"],
        readonly=True,  # shows a page, never writes
        **PUBLIC_PAGE,
    )
    def satisfaction_submit_page(self, token, **kwargs):
        """The form's address opened again (page reloaded, address copied): the answer
        page, or the thanks once answered, in the customer's language; never a 405."""
        survey_request = self._get_request_sudo(token)
        if not survey_request:
            return self._invalid()
        if survey_request.state == "answered":
            return self._render(survey_request, "satisfaction_survey.satisfaction_page_thanks")
        return self._answer_page(survey_request, token)
