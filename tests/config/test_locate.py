import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from softswitch.config.locate import KeyLines, dotted

TEXT = '''\
# comment
top = 1
[sip]
listen = [
  "udp:0.0.0.0:5060",
]
domain = "x"   # trailing
"quoted key" = 2
a.b = 3

[[users]]
extension = "1000"
[[users]]
extension = "1001"
password = "p"
[users.extra]
x = 1
[[users]]
note = """
fake = 1
"""
password = "q"
'''


def test_keys_and_tables_have_their_lines() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("top",)) == 2
    assert lines.line_of(("sip",)) == 3
    assert lines.line_of(("sip", "listen")) == 4
    assert lines.line_of(("sip", "domain")) == 7
    assert lines.line_of(("sip", "quoted key")) == 8
    assert lines.line_of(("sip", "a", "b")) == 9


def test_nth_array_element_is_counted() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("users", 0)) == 11
    assert lines.line_of(("users", 0, "extension")) == 12
    assert lines.line_of(("users", 1, "extension")) == 14
    assert lines.line_of(("users", 1, "password")) == 15
    assert lines.line_of(("users", 2)) == 18


def test_subtable_belongs_to_the_last_array_element() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("users", 1, "extra")) == 16
    assert lines.line_of(("users", 1, "extra", "x")) == 17


def test_multiline_string_content_is_not_a_key() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("users", 2, "fake")) == 18  # falls back to the table
    assert lines.line_of(("users", 2, "password")) == 22


def test_missing_key_falls_back_to_nearest_ancestor() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("sip", "nope")) == 3
    assert lines.line_of(("nothing",)) is None


def test_dotted_names_paths() -> None:
    assert dotted(("users", 2, "password")) == "users[2].password"
    assert dotted(("sip", "listen")) == "sip.listen"
    assert dotted(()) == ""

NAMES = st.sampled_from(["sip", "users", "a", "b-c", "d_e", "quoted key", "x.y"])


def _key(name: str) -> str:
    return f'"{name}"' if " " in name or "." in name else name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), NAMES,
                          st.lists(NAMES, min_size=0, max_size=3, unique=True)),
                min_size=0, max_size=6))
def test_lines_agree_with_a_generated_document(blocks: list) -> None:
    lines: list[str] = ["# generated"]
    expected: dict[tuple, int] = {}
    tables: list[tuple] = []
    kinds: dict[str, bool] = {}
    counts: dict[str, int] = {}
    for is_array, table, keys in blocks:
        if kinds.setdefault(table, is_array) != is_array:
            continue  # TOML cannot mix [t] and [[t]]
        if not is_array and table in counts:
            continue  # a table is defined once
        counts[table] = counts.get(table, -1) + 1
        path: tuple = (table, counts[table]) if is_array else (table,)
        lines.append(f"[[{_key(table)}]]" if is_array else f"[{_key(table)}]")
        expected[path] = len(lines)
        tables.append(path)
        for key in keys:
            if key == "a":  # a multi-line string whose content looks like a key
                lines.append(f'  {_key(key)} = """')
                expected[(*path, key)] = len(lines)
                lines.extend(["fake = 1", '"""', ""])
            else:
                lines.append(f"{_key(key)} = 1  # note")
                expected[(*path, key)] = len(lines)
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)
    located = KeyLines(text)
    for path, line in expected.items():
        assert located.line_of(path) == line, (path, text)
    for path in tables:  # text inside multi-line strings is never taken for a key
        assert located.line_of((*path, "fake")) == expected[path]
