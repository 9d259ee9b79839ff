"""Code audit: every ``sudo()`` says why, raw SQL only through ``odoo.tools.SQL``, no
model, wizard or controller file over ``MAX_LINES`` lines (one reason per file, issue #18).

Plain source scans (no database): they fail on the line to fix.
"""

import ast
import pathlib
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = ROOT / "addons"
MAX_LINES = 450
SPLIT_FOLDERS = ("models", "wizards", "controllers")


def _name(path):
    """``path`` relative to the repository (files elsewhere, such as probes: as given)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def python_files(include_tests=False):
    for path in sorted(ADDONS.glob("*/**/*.py")):
        if not include_tests and "tests" in path.relative_to(ADDONS).parts:
            continue
        yield path


def sudo_without_reason(path):
    """Lines calling ``.sudo(`` with no ``# sudo: <reason>`` beside or just above them.

    Just above: on the line before, or in the block of comment lines right before it.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    missing = []
    for index, line in enumerate(lines):
        if ".sudo(" not in line or line.lstrip().startswith("#"):
            continue
        if "# sudo:" in line:
            continue
        above = index - 1
        reason = False
        while above >= 0 and lines[above].lstrip().startswith("#"):
            if lines[above].lstrip().startswith("# sudo:"):
                reason = True
                break
            above -= 1
        if not reason:
            missing.append(f"{_name(path)}:{index + 1}: {line.strip()}")
    return missing


def _is_formatted(node):
    """An f-string, ``%`` formatting, ``+`` concatenation or ``.format()`` of SQL text."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _is_sql_call(node):
    func = getattr(node, "func", None)
    name = getattr(func, "id", None) or getattr(func, "attr", None)
    return isinstance(node, ast.Call) and name == "SQL"


def raw_sql_offenders(path, strict):
    """``execute``/``execute_query`` calls given formatted text (or, strict, no ``SQL``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offenders = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        where = f"{_name(path)}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr in ("execute", "execute_query"):
            query = node.args[0]
            if _is_formatted(query):
                offenders.append(f"{where}: {func.attr}() of formatted text")
            elif strict and not _is_sql_call(query):
                offenders.append(f"{where}: {func.attr}() without odoo.tools.SQL")
        if _is_sql_call(node) and _is_formatted(node.args[0]):
            offenders.append(f"{where}: SQL() of formatted text, pass parameters instead")
    return offenders


def files_over(paths, max_lines=MAX_LINES):
    """``path: n lines`` for each file of ``paths`` longer than ``max_lines`` lines."""
    counts = ((path, len(path.read_text(encoding="utf-8").splitlines())) for path in paths)
    return [f"{_name(path)}: {count} lines" for path, count in counts if count > max_lines]


class TestCodeAudit(unittest.TestCase):
    def test_every_sudo_has_a_reason(self):
        files = list(python_files())
        calls = sum(p.read_text(encoding="utf-8").count(".sudo(") for p in files)
        missing = [line for path in files for line in sudo_without_reason(path)]
        print(
            f"\nsudo() audit: {len(files)} files, {calls} sudo() calls, {len(missing)} without reason"
        )
        self.assertGreater(calls, 50, "the scan found the addons' code")
        self.assertEqual(missing, [], "add a one-line '# sudo: <reason>' beside each sudo()")

    def test_raw_sql_goes_through_sql_with_parameters(self):
        offenders = []
        queries = 0
        for path in python_files(include_tests=True):
            strict = "tests" not in path.relative_to(ADDONS).parts
            offenders += raw_sql_offenders(path, strict=strict)
            queries += path.read_text(encoding="utf-8").count("execute")
        print(f"\nraw SQL audit: {queries} execute calls scanned, {len(offenders)} offenders")
        self.assertEqual(offenders, [], "use odoo.tools.SQL with parameters")

    def test_no_model_wizard_or_controller_file_over_the_limit(self):
        paths = [
            path for folder in SPLIT_FOLDERS for path in sorted(ADDONS.glob(f"*/{folder}/**/*.py"))
        ]
        self.assertGreater(len([p for p in paths if p.parent.name == "models"]), 30)
        self.assertEqual(
            files_over(paths),
            [],
            f"split these files by reason (at most {MAX_LINES} lines each, issue #18)",
        )

    def test_the_scans_catch_offenders(self):
        """The scans themselves: a forged file with each offence is caught (in a temporary
        directory: the repository is never written)."""
        with tempfile.TemporaryDirectory() as folder:
            sample = pathlib.Path(folder) / "_audit_probe.py"
            sample.write_text(
                "x = self.env['a'].sudo()\n"
                "# sudo: fine\n"
                "y = self.env['b'].sudo()\n"
                "self.env.cr.execute(f'SELECT {x}')\n"
                "self.env.cr.execute('SELECT %s' % x)\n"
                "self.env.cr.execute('SELECT 1')\n"
                "self.env.execute_query(SQL(f'SELECT {x}'))\n",
                encoding="utf-8",
            )
            self.assertEqual(len(sudo_without_reason(sample)), 1)
            self.assertEqual(len(raw_sql_offenders(sample, strict=True)), 4)
            self.assertEqual(len(raw_sql_offenders(sample, strict=False)), 3)
            self.assertEqual(files_over([sample], max_lines=7), [])
            self.assertEqual(files_over([sample], max_lines=6), [f"{sample}: 7 lines"])
