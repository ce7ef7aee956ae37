"""Checks that need no Odoo: the addons are laid out and declared the way
Odoo 18 and the project's style expect."""

import ast
import re
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent for p in (ROOT / "addons").glob("*/__manifest__.py"))


def manifest(addon):
    return ast.literal_eval((addon / "__manifest__.py").read_text())


def test_there_are_addons():
    assert ADDONS, "no addon found under addons/"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_manifest(addon):
    data = manifest(addon)
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", data["version"])
    for key in ("name", "license", "author", "website", "maintainers", "development_status", "depends"):
        assert data.get(key), f"{addon.name}: manifest has no {key}"
    assert "description" not in data, "the description lives in readme/DESCRIPTION.md"
    files = data.get("data", [])
    security = [i for i, f in enumerate(files) if f.startswith("security/")]
    assert security == list(range(len(security))), "security files come first in data"
    for path in files + data.get("demo", []):
        assert (addon / path).is_file(), f"{addon.name}: {path} is declared but missing"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_views_use_odoo_18_syntax(addon):
    for path in addon.rglob("*.xml"):
        text = path.read_text()
        etree.fromstring(text.encode())
        assert "<tree" not in text, f"{path}: <tree> is <list> in Odoo 18"
        assert "attrs=" not in text and "states=" not in text, f"{path}: use invisible/readonly expressions"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_every_test_module_is_imported(addon):
    tests = addon / "tests"
    if not tests.is_dir():
        return
    tree = ast.parse((tests / "__init__.py").read_text())
    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    for module in tests.glob("test_*.py"):
        assert module.stem in imported, f"Odoo would skip {module.name} silently"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_readme_fragments_and_french(addon):
    assert (addon / "readme" / "DESCRIPTION.md").is_file()
    assert (addon / "i18n" / "fr.po").is_file(), "every string ships in French"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_french_translation_is_complete(addon):
    po = (addon / "i18n" / "fr.po").read_text()
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', po + "\n")
    assert entries
    empty = [msgid for msgid, msgstr in entries if msgid.strip() != '""' and msgstr.strip() == '""']
    assert not empty, f"untranslated: {empty[:5]}"


def test_readme_names_the_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/demo.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
