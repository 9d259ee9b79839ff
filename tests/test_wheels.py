"""Distribution: each addon builds as a wheel named as OCA names them (whool) and installs
with pip into an environment where Odoo 18 is installed, where Odoo then finds it.

Offline: the wheels are built without build isolation (whool is in tests/requirements.txt)
and installed with --no-index, so every dependency they declare (odoo 18.0, the OCA
helpdesk_mgmt wheel, the addon below) must already be satisfied by the environment.
"""

import ast
import io
import os
import pathlib
import shutil
import subprocess
import sys
import time
import zipfile

import docutils.core

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = ("loyalty_gesture", "satisfaction_survey", "winback")


def _run(*cmd, cwd=None):
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONPATH="")
    env.pop("PIP_CONSTRAINT", None)
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tracked_files(addon):
    """The addon's files as git knows them (whool ships those), relative to the addon."""
    if not shutil.which("git") or not (ROOT / ".git").exists():
        return None
    out = _run("git", "ls-files", f"addons/{addon}", cwd=ROOT)
    return {line.split("/", 2)[2] for line in out.splitlines()} - {"pyproject.toml"}


def test_each_addon_is_a_pip_installable_wheel(tmp_path):
    start = time.monotonic()
    dist = tmp_path / "dist"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        str(dist),
        *(str(ROOT / "addons" / addon) for addon in ADDONS),
    )
    wheels = {}
    for addon in ADDONS:
        [wheel] = dist.glob(f"odoo_addon_{addon}-18.0.*-py3-none-any.whl")
        wheels[addon] = wheel
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
            archive_text = archive.read(metadata).decode()
            headers = archive_text.splitlines()
        assert f"Name: odoo-addon-{addon}" in headers
        assert "Requires-Dist: odoo==18.0.*" in headers
        # the generated README.rst (down to its credits) is the package's description
        assert "Contributors\n------------\n" in archive_text, addon
        shipped = {n.split("/", 3)[3] for n in names if n.startswith(f"odoo/addons/{addon}/")}
        assert {"__manifest__.py", "README.rst", f"i18n/{addon}.pot", "i18n/fr.po"} <= shipped
        tracked = _tracked_files(addon)
        if tracked is not None:
            assert tracked - shipped == set(), f"{addon}: files left out of the wheel"
    chain = {"satisfaction_survey": "loyalty_gesture", "winback": "satisfaction_survey"}
    for addon, below in chain.items():
        with zipfile.ZipFile(wheels[addon]) as archive:
            [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            assert f"Requires-Dist: odoo-addon-{below}==18.0.*" in archive.read(metadata).decode()

    # A virtualenv seeing the Odoo 18 of this machine, and the three wheels installed in it.
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--no-index",
        "-q",
        *map(str, wheels.values()),
    )
    site = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    out = _run(
        str(python),
        "-c",
        "import odoo, odoo.addons.winback as wb\n"
        "from odoo.modules import module\n"
        "odoo.tools.config.parse_config([])\n"
        "module.initialize_sys_path()\n"
        "print(wb.__file__)\n"
        "for m in ('loyalty_gesture', 'satisfaction_survey', 'winback'):\n"
        "    print(module.get_module_path(m), module.get_manifest(m)['version'])\n",
        cwd=tmp_path,
    )
    lines = out.splitlines()
    assert lines[0] == f"{site}/odoo/addons/winback/__init__.py", out
    for addon, line in zip(ADDONS, lines[1:], strict=True):
        version = ast.literal_eval((ROOT / "addons" / addon / "__manifest__.py").read_text())[
            "version"
        ]
        assert line == f"{site}/odoo/addons/{addon} {version}", out
    print(f"3 wheels built and installed in {time.monotonic() - start:.1f} s")


def test_readme_rst_is_generated_from_the_fragments():
    """README.rst (what the wheel shows as its description) is tools/gen_readme.py's output of
    the readme/ fragments, and valid reStructuredText."""
    for addon in ADDONS:
        for fragment in ("DESCRIPTION", "USAGE", "CONFIGURE", "CONTRIBUTORS"):
            path = ROOT / "addons" / addon / "readme" / f"{fragment}.md"
            assert path.read_text().strip(), f"{path} is missing or empty"
    _run(sys.executable, str(ROOT / "tools" / "gen_readme.py"), "--check")
    for addon in ADDONS:
        warnings = io.StringIO()
        docutils.core.publish_doctree(
            (ROOT / "addons" / addon / "README.rst").read_text(),
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": warnings},
        )
        assert warnings.getvalue() == "", f"{addon}/README.rst: {warnings.getvalue()}"
