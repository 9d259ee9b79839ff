"""Every row a piece of code creates, in every table of the registry, normalized so that
two runs of it (an ORM path and a set-based path) can be compared column by column.

``created_rows(env, run)`` runs ``run()`` in a savepoint rolled back afterwards and returns
``{model: [row, ...]}``: the stored columns (``_fields`` with ``store=True``, many2many as
sorted lists) of each new row, without ids, create/write dates and the given random or
sequence-drawn ``codes``; a reference to a row created by the same run becomes
``(model, rank)``, its rank in its model's canonical order (the sorted normalized rows);
a datetime becomes its offset in hours from the transaction's time.
"""

import contextlib
import datetime
import re

from odoo.tools import SQL

SKIPPED = {"create_date", "write_date"}


class _Rollback(Exception):
    pass


def _max_ids(env):
    models = [
        model
        for model in env.registry.values()
        if model._auto and not model._abstract and "id" in model._fields
    ]
    query = SQL(" UNION ALL ").join(
        SQL(
            "SELECT %s, (SELECT COALESCE(max(id), 0) FROM %s)",
            model._name,
            SQL.identifier(model._table),
        )
        for model in models
    )
    return dict(env.execute_query(query))


def _raw_rows(env, model_name, since):
    model = env[model_name]
    columns = [
        name
        for name, field in model._fields.items()
        if field.store and field.column_type and name not in SKIPPED
    ]
    rows = env.execute_query_dict(
        SQL(
            "SELECT %s FROM %s WHERE id > %s ORDER BY id",
            SQL(", ").join(SQL.identifier(c) for c in columns),
            SQL.identifier(model._table),
            since,
        )
    )
    by_id = {row["id"]: row for row in rows}
    for name, field in model._fields.items():
        if field.type != "many2many" or not field.store or not by_id:
            continue
        links = env.execute_query(
            SQL(
                "SELECT %s, %s FROM %s WHERE %s IN %s",
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                tuple(by_id),
            )
        )
        for row in by_id.values():
            row[name] = []
        for source, target in links:
            by_id[source][name].append(target)
    return rows


def created_rows(env, run, codes=()):
    """What ``run()`` creates, normalized (see the module's docstring); ``codes``:
    ``(model, field)`` pairs left out (sequence references, random codes)."""
    env.flush_all()
    before = _max_ids(env)
    raw = {}
    result = now = None
    with contextlib.suppress(_Rollback), env.cr.savepoint():
        result = run()
        env.flush_all()
        after = _max_ids(env)
        for model, top in after.items():
            if top > before.get(model, 0):
                raw[model] = _raw_rows(env, model, before.get(model, 0))
        now = env.cr.now()
        raise _Rollback()
    env.invalidate_all()
    return _normalize(env, raw, set(codes), now), result


def _references(env, model_name, created):
    """{column: fixed comodel or (model_field,)} of the references to created rows."""
    refs = {}
    for name, field in env[model_name]._fields.items():
        if not field.store:
            continue
        if field.type in ("many2one", "many2many") and field.comodel_name in created:
            refs[name] = field.comodel_name
        elif field.type == "many2one_reference":
            refs[name] = (field.model_field,)
    return refs


def _normalize(env, raw, codes, now):
    """Rank the rows of each model by their normalized values, references to created
    rows by the rank of these rows: refined pass after pass (references may form
    cycles, a gesture and its task activity) until the ranks no longer change."""
    refs = {model: _references(env, model, raw) for model in raw}
    # texts (notifications...) name the rows created: their codes and ids, replaced
    texts = _Texts(
        {
            row[column]
            for model, column in codes
            for row in raw.get(model, ())
            if isinstance(row.get(column), str) and len(row[column]) >= 6
        },
        {row["id"] for rows in raw.values() for row in rows},
    )
    ranks, normalized = {}, {}
    for _pass in range(6):
        new_ranks = {}
        for model, model_rows in raw.items():
            rows = [
                (
                    row["id"],
                    {
                        key: texts(_value(value, key, row, refs[model], ranks, raw, now))
                        for key, value in row.items()
                        if key != "id" and (model, key) not in codes
                    },
                )
                for row in model_rows
            ]
            rows.sort(key=lambda item: repr(sorted(item[1].items())))
            new_ranks[model] = {row_id: rank for rank, (row_id, _row) in enumerate(rows)}
            normalized[model] = [values for _id, values in rows]
        if new_ranks == ranks:
            break
        ranks = new_ranks
    return normalized


class _Texts:
    """Replaces, in a text, the codes of the rows created and their ids (``res_id=42``,
    ``loyalty.gesture-42``)."""

    def __init__(self, codes, ids):
        self.codes = sorted(codes, key=len, reverse=True)
        self.ids = {str(i) for i in ids}

    def __call__(self, value):
        if isinstance(value, dict):  # translated columns
            return {key: self(text) for key, text in value.items()}
        if not isinstance(value, str) or not value:
            return value
        for code in self.codes:
            if code in value:
                value = value.replace(code, "<code>")
        return re.sub(
            r"(?<=[=-])\d+\b",
            lambda match: "<id>" if match.group(0) in self.ids else match.group(0),
            value,
        )


def _value(value, key, row, refs, ranks, raw, now):
    ref = refs.get(key)
    if isinstance(ref, tuple):
        ref = row.get(ref[0]) if row.get(ref[0]) in raw else None
    if ref and value:
        if isinstance(value, list):
            return sorted((_ref(ref, v, ranks) for v in value), key=repr)
        return _ref(ref, value, ranks)
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, datetime.datetime):
        return ("datetime", round((value - now).total_seconds() / 3600, 1))
    return value


def _ref(model, value, ranks):
    if model not in ranks:
        return (model, "?")  # first pass: ranked at the next one
    rank = ranks[model].get(value)
    return (model, rank) if rank is not None else (model, "id", value)


def diff(orm, batch, limit=20):
    """Differences between two ``created_rows`` results, one example per model and
    column (empty: none)."""
    problems, seen = [], set()
    for model in sorted(set(orm) | set(batch)):
        a, b = orm.get(model, []), batch.get(model, [])
        if len(a) != len(b):
            problems.append(f"{model}: {len(a)} rows by the ORM, {len(b)} set-based")
            continue
        for index, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
            for column in sorted(set(row_a) | set(row_b)):
                if row_a.get(column) != row_b.get(column) and (model, column) not in seen:
                    seen.add((model, column))
                    problems.append(
                        f"{model}[{index}].{column}: ORM {_short(row_a.get(column))}, "
                        f"set-based {_short(row_b.get(column))}"
                    )
    return problems[:limit]


def _short(value, size=120):
    text = repr(value)
    return text if len(text) <= size else text[: size // 2] + " … " + text[-size // 2 :]
