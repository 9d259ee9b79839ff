"""The Docker image installs every Python library the addons declare.

The official ``odoo:18.0`` image has Odoo's own requirements only: a library one of our
manifests lists in ``external_dependencies`` must be installed by ``docker/Dockerfile``,
by its pip name or its Debian package (``python3-<name>``), or the addon cannot install.
"""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def declared_python_dependencies():
    dependencies = {}
    for manifest in sorted(ROOT.glob("addons/*/__manifest__.py")):
        declared = ast.literal_eval(manifest.read_text()).get("external_dependencies", {})
        for name in declared.get("python", []):
            dependencies.setdefault(name, []).append(manifest.parent.name)
    return dependencies


def installed_by_dockerfile(dockerfile=DOCKERFILE):
    """The pip and Debian package names the Dockerfile's RUN lines install."""
    text = dockerfile.read_text().replace("\\\n", " ")
    names = set()
    for line in text.splitlines():
        if not line.startswith("RUN"):
            continue
        for command in re.split(r"&&|;", line[3:]):
            words = command.split()
            if words[:2] in (["apt-get", "install"], ["pip3", "install"], ["pip", "install"]):
                for word in words[2:]:
                    if not word.startswith("-"):
                        names.add(re.split(r"[<>=!~\[]", word.strip("\"'"))[0].lower())
    return names


def debian_name(python_name):
    return "python3-" + python_name.lower().replace("_", "-")


def test_the_addons_declare_numpy():
    """The check below reads real declarations (winback's churn model needs numpy)."""
    assert "winback" in declared_python_dependencies().get("numpy", [])


def test_dockerfile_installs_every_declared_python_library():
    installed = installed_by_dockerfile()
    missing = {
        name: addons
        for name, addons in declared_python_dependencies().items()
        if name.lower() not in installed and debian_name(name) not in installed
    }
    assert not missing, f"docker/Dockerfile does not install {missing} (name: addons)"


def test_the_check_sees_a_missing_library(tmp_path):
    """A Dockerfile without numpy is refused (the check is not blind)."""
    assert debian_name("numpy") in installed_by_dockerfile()
    stripped = tmp_path / "Dockerfile"
    stripped.write_text(DOCKERFILE.read_text().replace("python3-numpy", ""))
    installed = installed_by_dockerfile(stripped)
    assert "numpy" not in installed
    assert debian_name("numpy") not in installed
    assert "odoo-addon-helpdesk-mgmt" in installed, "the other lines are still read"
