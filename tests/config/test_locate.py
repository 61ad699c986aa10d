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
