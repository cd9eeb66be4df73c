"""docs/manifest-fields.md says, for every field of the watcher's field
tables (workers/watcher/*.c, `static const struct field_rule NAME[]`), what
the parser does with it: mapped, ignored or rejected.  The tables are the
source of truth; this keeps the page from lying when a field moves from
rejected to mapped, and makes a field added to a table without a word in
the page a failure."""
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
DOC = os.path.join(ROOT, "docs", "manifest-fields.md")
WATCHER = os.path.join(ROOT, "workers", "watcher")

# table in the C source -> the heading of its section in the page
SECTIONS = {
    "pod_rules": "## Pod (top level)",
    "metadata_rules": "## metadata",
    "spec_rules": "## spec",
    "container_rules": "## containers[i]",
    "port_rules": "### containers[i].ports[j]",
    "container_sc_rules": "### containers[i].securityContext",
    "volume_rules": "### volumes[i]",
    "empty_dir_rules": "### volumes[i].emptyDir",
    "host_path_rules": "### volumes[i].hostPath",
    "volume_mount_rules": "### containers[i].volumeMounts[j]",
}
OUTCOME = {"RULE_MAP": "mapped", "RULE_IGNORE": "ignored",
           "RULE_REJECT": "rejected"}
MACRO = {"MAP": "RULE_MAP", "IGNORE": "RULE_IGNORE", "REJECT": "RULE_REJECT"}
# checked before the walk (check_type()), so the table only lets them by
CHECKED_FIRST = {("pod_rules", "apiVersion"), ("pod_rules", "kind")}


def c_tables():
    """{table: {field: RULE_*}} from every field_rule table of the watcher"""
    tables = {}
    start = re.compile(r"static const struct field_rule (\w+)\[\] = \{")
    for fn in sorted(os.listdir(WATCHER)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(WATCHER, fn), encoding="utf-8") as f:
            text = f.read()
        for m in start.finditer(text):
            body = text[m.end():text.index("};", m.end())]
            rows = {}
            for r in re.finditer(r"\b(MAP|IGNORE|REJECT)\(\s*\"([^\"]+)\"",
                                 body):
                rows[r.group(2)] = MACRO[r.group(1)]
            for r in re.finditer(r"\{\s*\"([^\"]+)\",\s*(RULE_\w+)", body):
                rows[r.group(1)] = r.group(2)
            tables[m.group(1)] = rows
    return tables


def doc_section(heading):
    """{field: outcome cell} of the first table under heading"""
    with open(DOC, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert heading in lines, f"manifest-fields.md lacks '{heading}'"
    i = lines.index(heading) + 1
    rows = {}
    while i < len(lines) and not lines[i].startswith("#"):
        line = lines[i]
        i += 1
        if not line.startswith("| `"):
            if rows and not line.startswith("|"):
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        for name in re.findall(r"`([^`]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def test_every_table_is_found():
    tables = c_tables()
    for t in SECTIONS:
        assert tables.get(t), f"no field_rule table {t} in workers/watcher"


@pytest.mark.parametrize("table", sorted(SECTIONS))
def test_doc_says_what_the_table_does(table):
    rows = c_tables()[table]
    doc = doc_section(SECTIONS[table])
    wrong = []
    for field, rule in rows.items():
        cell = doc.get(field)
        if cell is None:
            # a map the page describes by its members (capabilities.add)
            parts = [c for f, c in doc.items() if f.startswith(field + ".")]
            cell = parts[0] if parts else None
        if (table, field) in CHECKED_FIRST:
            continue
        if cell is None:
            wrong.append(f"{field}: not in the page")
        elif not cell.startswith(OUTCOME[rule]):
            wrong.append(f"{field}: the table says {OUTCOME[rule]}, "
                         f"the page '{cell}'")
    assert not wrong, f"{SECTIONS[table]}: " + "; ".join(wrong)


@pytest.mark.parametrize("table", sorted(SECTIONS))
def test_doc_lists_no_field_the_table_lacks(table):
    rows = c_tables()[table]
    doc = doc_section(SECTIONS[table])
    # the page may spell out a table's parts (requests.cpu, limits.cpu)
    extra = [f for f in doc if f not in rows and f.split(".")[0] not in rows]
    assert not extra, f"{SECTIONS[table]} lists fields no table has: {extra}"
