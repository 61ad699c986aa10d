"""[ivr] flows: inline or in their own file, errors naming the node, key, file and line."""

from pathlib import Path

import pytest

from softswitch.config import ConfigErrors, load_config, parse_config
from softswitch.config.ivr import message_path
from softswitch.ivr import IvrSession

HEAD = '''\
[[users]]
extension = "1000"
password = "x"
[[queues]]
name = "sales"
'''  # 5 lines


def errors_of(text: str, file_name: str = "pbx.toml",
              base_dir: Path | None = None) -> list[tuple[str, str, int | None, str]]:
    with pytest.raises(ConfigErrors) as info:
        parse_config(HEAD + text, file_name, base_dir)
    return [(e.file, e.key, e.line, e.message) for e in info.value.errors]


FLOW = '''\
start = "menu1"
[nodes.menu1]
type = "menu"
prompts = ["main_menu"]
choices = { "1" = "sales", "2" = "op" }
[nodes.sales]
type = "queue"
queue = "sales"
[nodes.op]
type = "extension"
number = "1000"
'''


def test_inline_flow_is_read_and_runs() -> None:
    text = HEAD + "[ivr.flows.main]\n" + FLOW.replace("[nodes.", "[ivr.flows.main.nodes.")
    config = parse_config(text, "pbx.toml")
    flow = config.ivr.flows["main"]
    assert flow["start"] == "menu1"
    assert config.ivr.flow_files == {"main": ""}
    session = IvrSession(flow, call_id="c1")
    assert session.flow is flow


def test_unknown_node_names_the_node_and_the_line() -> None:
    bad = FLOW.replace('"1" = "sales"', '"1" = "sales2"').replace("[nodes.",
                                                                   "[ivr.flows.main.nodes.")
    errors = errors_of("[ivr.flows.main]\n" + bad)
    assert errors == [("pbx.toml", "ivr.flows.main.nodes.menu1.choices.1", 11,
                       'unknown node "sales2"')]


def test_choices_written_as_a_table_give_the_exact_line() -> None:
    errors = errors_of('''\
[ivr.flows.main]
start = "menu1"
[ivr.flows.main.nodes.menu1]
type = "menu"
prompts = ["main_menu"]
[ivr.flows.main.nodes.menu1.choices]
1 = "menu1"
3 = "sales2"
''')
    assert errors == [("pbx.toml", "ivr.flows.main.nodes.menu1.choices.3", 13,
                       'unknown node "sales2"')]


def test_every_flow_problem_is_reported() -> None:
    errors = errors_of('''\
[ivr.flows.main]
start = "nowhere"
[ivr.flows.main.nodes.a]
type = "teleport"
[ivr.flows.main.nodes.b]
type = "play"
prompts = "hello"
next = "c"
[ivr.flows.main.nodes.q]
type = "queue"
queue = "billing"
[ivr.flows.main.nodes.x]
type = "extension"
number = "4000"
''')
    assert sorted((line, key) for _, key, line, _ in errors) == [
        (7, "ivr.flows.main.start"), (9, "ivr.flows.main.nodes.a.type"),
        (12, "ivr.flows.main.nodes.b.prompts"), (13, "ivr.flows.main.nodes.b.next"),
        (16, "ivr.flows.main.nodes.q.queue"), (19, "ivr.flows.main.nodes.x.number"),
    ]
    messages = {key: message for _, key, _, message in errors}
    assert messages["ivr.flows.main.start"] == 'unknown node "nowhere"'
    assert "is not one of" in messages["ivr.flows.main.nodes.a.type"]
    assert messages["ivr.flows.main.nodes.b.next"] == 'unknown node "c"'
    assert messages["ivr.flows.main.nodes.q.queue"] == ('unknown queue "billing" '
                                                        '(configured: sales)')
    assert messages["ivr.flows.main.nodes.x.number"] == ('unknown user "4000" '
                                                         '(configured: 1000)')


def test_flow_in_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "main-flow.toml").write_text(FLOW)
    main = tmp_path / "pbx.toml"
    main.write_text(HEAD + '[ivr.flows.main]\nfile = "main-flow.toml"\n')
    config = load_config(main)
    assert config.ivr.flows["main"]["nodes"]["sales"] == {"type": "queue", "queue": "sales"}
    assert config.ivr.flow_files == {"main": str(tmp_path / "main-flow.toml")}


def test_errors_in_a_flow_file_name_that_file(tmp_path: Path) -> None:
    flow_file = tmp_path / "flows" / "main.toml"
    flow_file.parent.mkdir()
    flow_file.write_text(FLOW.replace('"2" = "op"', '"2" = "op2"').replace(
        'queue = "sales"', 'queue = "sale"'))
    main = tmp_path / "pbx.toml"
    main.write_text(HEAD + '[ivr.flows.main]\nfile = "flows/main.toml"\n')
    with pytest.raises(ConfigErrors) as info:
        load_config(main)
    assert [(e.file, e.key, e.line, e.message) for e in info.value.errors] == [
        (str(flow_file), "ivr.flows.main.nodes.menu1.choices.2", 5, 'unknown node "op2"'),
        (str(flow_file), "ivr.flows.main.nodes.sales.queue", 8,
         'unknown queue "sale" (configured: sales)'),
    ]


def test_missing_and_broken_flow_files(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('start = "a"\n[nodes.a\n')
    errors = errors_of('''\
[ivr.flows.one]
file = "absent.toml"
[ivr.flows.two]
file = "broken.toml"
''', str(tmp_path / "pbx.toml"))
    assert errors[0][:3] == (str(tmp_path / "pbx.toml"), "ivr.flows.one.file", 7)
    assert "cannot read flow file" in errors[0][3]
    assert errors[1][:3] == (str(tmp_path / "broken.toml"), "ivr.flows.two", 2)
    assert errors[1][3].startswith("invalid TOML")


@pytest.mark.parametrize(("text", "key", "line", "words"), [
    ('[ivr.flows]\nmain = 3\n', "ivr.flows.main", 7, "expected a table"),
    ('[ivr.flows.main]\nfile = ""\n', "ivr.flows.main.file", 7, "name of a TOML file"),
    ('[ivr.flows.main]\nfile = "x.toml"\nstart = "a"\n', "ivr.flows.main.start", 8,
     "no other keys"),
    ('[ivr]\nflow = {}\n', "ivr.flow", 7, "did you mean 'flows'"),
])
def test_shape_errors(text: str, key: str, line: int, words: str) -> None:
    [(_, got_key, got_line, message)] = errors_of(text)
    assert (got_key, got_line) == (key, line)
    assert words in message


def test_validator_messages_become_paths() -> None:
    assert message_path("node 'menu1': key 'choices.3': 'sales2' is not a node") == (
        ("nodes", "menu1", "choices", "3"), 'unknown node "sales2"')
    assert message_path("node 'a': must be a table") == (("nodes", "a"), "must be a table")
    assert message_path("flow: key 'start': 'x' is not a node") == (("start",),
                                                                    'unknown node "x"')
    assert message_path("something else") == ((), "something else")
