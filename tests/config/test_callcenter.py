"""[[queues]] and [[agents]]: every kind of mistake, placed on its file, line and key."""

import pytest

from softswitch.acd.strategies import STRATEGIES
from softswitch.config import ConfigErrors, parse_config

USERS = '''\
[[users]]
extension = "1000"
password = "x"
[[users]]
extension = "1009"
password = "x"
'''  # 6 lines: the sections under test start on line 7


def errors_of(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigErrors) as info:
        parse_config(USERS + text, "cc.toml")
    assert all(error.file == "cc.toml" for error in info.value.errors)
    return [(e.key, e.line, e.message) for e in info.value.errors]


def test_a_full_queue_and_agent_are_read() -> None:
    config = parse_config(USERS + '''\
[[queues]]
name = "sales"
strategy = "round-robin"
ring_timeout = 15
wrap_up = 5
max_wait = 300
max_length = 10
overflow = { kind = "queue", target = "backup" }
join_empty = false
leave_when_empty = true
announce_position_every = 45
music = "jazz"
required_skills = { sales = 3 }
vip = ["13800000000"]
prefix_skills = { "86" = { mandarin = 4 } }
priority_weight = 30
tier_wait = 20
skill_relax_every = 60
skill_floor = 2
sticky_seconds = 600
recording = "25%"
supervisors = ["1009"]
[[queues]]
name = "backup"
vip = { "555" = 3 }
recording = "all"
[[agents]]
id = "a1000"
name = "Ann"
extension = "1000"
skills = { sales = 7, mandarin = 4 }
wrap_up = 3
ring_timeout = 12
max_no_answer = 2
no_answer_delay = 1
reject_delay = 2
busy_delay = 3
queues = [{ queue = "sales", level = 2, position = 3, weight = 0.5 }, { queue = "backup" }]
''', "cc.toml")
    sales, backup = config.queues
    assert (sales.strategy, sales.ring_timeout, sales.max_length) == ("round-robin", 15.0, 10)
    assert (sales.overflow.kind, sales.overflow.target) == ("queue", "backup")
    assert (sales.join_empty, sales.leave_when_empty) == (False, True)
    assert sales.vip == {"13800000000": 1} and backup.vip == {"555": 3}
    assert sales.prefix_skills == {"86": {"mandarin": 4}}
    assert (sales.recording, backup.recording) == (25, 100)
    assert sales.supervisors == ("1009",)
    assert backup.overflow.kind == "hangup" and backup.strategy == "longest-idle"
    agent = config.agents[0]
    assert agent.skills == {"sales": 7, "mandarin": 4}
    assert (agent.wrap_up, agent.ring_timeout, agent.max_no_answer) == (3.0, 12.0, 2)
    assert [(t.queue, t.level, t.position, t.weight) for t in agent.queues] == [
        ("sales", 2, 3, 0.5), ("backup", 1, 1, 1.0)]
    assert config.queue("sales") is sales and config.queue("nope") is None
    assert config.agent("a1000") is agent
    assert config.supervises("1009", "sales") and not config.supervises("1000", "sales")
    assert not config.supervises("1009", "backup")


def test_unknown_strategy_lists_the_valid_ones() -> None:
    [(key, line, message)] = errors_of('[[queues]]\nname = "q"\nstrategy = "fastest"\n')
    assert (key, line) == ("queues[0].strategy", 9)
    assert message.startswith("unknown strategy 'fastest' (one of: ")
    for name in STRATEGIES:
        assert name in message


@pytest.mark.parametrize(("text", "key", "line", "words"), [
    ('[[queues]]\nname = "q"\nring_timeout = 0\n', "queues[0].ring_timeout", 9,
     "more than 0"),
    ('[[queues]]\nname = "q"\nwrap_up = -1\n', "queues[0].wrap_up", 9, "0 or more"),
    ('[[queues]]\nname = "q"\nmax_length = -2\n', "queues[0].max_length", 9, "at least 0"),
    ('[[queues]]\nname = "bad name"\n', "queues[0].name", 8, "is not a name"),
    ('[[queues]]\nname = "q"\nrequired_skills = { sales = 11 }\n',
     "queues[0].required_skills.sales", 9, "1 to 10"),
    ('[[queues]]\nname = "q"\nrequired_skills = { sales = "high" }\n',
     "queues[0].required_skills.sales", 9, "1 to 10"),
    ('[[queues]]\nname = "q"\noverflow = { kind = "elsewhere" }\n',
     "queues[0].overflow.kind", 9, "not one of: queue, voicemail, callback, hangup"),
    ('[[queues]]\nname = "q"\noverflow = { kind = "voicemail" }\n',
     "queues[0].overflow.target", 9, "needs a target"),
    ('[[queues]]\nname = "q"\noverflow = { kind = "hangup", where = "x" }\n',
     "queues[0].overflow.where", 9, "unknown key"),
    ('[[queues]]\nname = "q"\nrecording = "some"\n', "queues[0].recording", 9,
     '"all", "none" or a percentage'),
    ('[[queues]]\nname = "q"\nrecording = 101\n', "queues[0].recording", 9, "percentage"),
    ('[[queues]]\nname = "q"\nvip = { "12ab" = 1 }\n', "queues[0].vip.12ab", 9,
     "not a phone number"),
    ('[[queues]]\nname = "q"\nvip = { "123" = 0 }\n', "queues[0].vip.123", 9, ">= 1"),
    ('[[queues]]\nname = "q"\nvip = 5\n', "queues[0].vip", 9, "list of numbers"),
    ('[[queues]]\nname = "q"\nprefix_skills = { "86" = { zh = 0 } }\n',
     "queues[0].prefix_skills.86.zh", 9, "1 to 10"),
    ('[[queues]]\nname = "q"\nprefix_skills = { "x" = {} }\n',
     "queues[0].prefix_skills.x", 9, "not a number prefix"),
    ('[[queues]]\nname = "q"\nskill_floor = 0\n', "queues[0].skill_floor", 9, "1 to 10"),
    ('[[queues]]\nname = "q"\nsupervisors = ["boss"]\n', "queues[0].supervisors", 9,
     "not an extension"),
    ('[[queues]]\nname = "q"\njoin_empty = "yes"\n', "queues[0].join_empty", 9,
     "expected true or false"),
    ('[[queues]]\nstrategy = "random"\n', "queues[0]", 7, "missing required key 'name'"),
    ('[[agents]]\nid = "a"\nextension = "1000"\nskills = { sales = 0 }\n',
     "agents[0].skills.sales", 10, "1 to 10"),
    ('[[agents]]\nid = "a"\nextension = "10x"\n', "agents[0].extension", 9,
     "not an extension"),
    ('[[agents]]\nid = "a"\nextension = "1000"\nmax_no_answer = 0\n',
     "agents[0].max_no_answer", 10, "at least 1"),
    ('[[agents]]\nid = "a"\nextension = "1000"\nqueues = [{ queue = "q", level = 0 }]\n',
     "agents[0].queues[0].level", 10, "at least 1"),
    ('[[agents]]\nid = "a"\nextension = "1000"\nqueues = [{ level = 1 }]\n',
     "agents[0].queues[0]", 10, "missing required key 'queue'"),
    ('[[agents]]\nid = "a"\nextension = "1000"\nqueues = ["q"]\n', "agents[0].queues", 10,
     "expected an array of tables"),
])
def test_value_errors(text: str, key: str, line: int, words: str) -> None:
    [(got_key, got_line, message)] = errors_of(text)
    assert (got_key, got_line) == (key, line)
    assert words in message


def test_duplicates() -> None:
    errors = errors_of('''\
[[queues]]
name = "q"
[[queues]]
name = "q"
[[agents]]
id = "a"
extension = "1000"
queues = [{ queue = "q" }, { queue = "q" }]
[[agents]]
id = "a"
extension = "1009"
''')
    assert errors == [
        ("queues[1].name", 10, "duplicate name 'q' (already used by element 0)"),
        ("agents[0].queues[1].queue", 14, "agent a is already in queue 'q'"),
        ("agents[1].id", 16, "duplicate id 'a' (already used by element 0)"),
    ]


def test_cross_references_name_the_offending_line() -> None:
    errors = errors_of('''\
[[queues]]
name = "sales"
overflow = { kind = "queue", target = "sales2" }
supervisors = ["1009", "2000"]
[[queues]]
name = "loop"
overflow = { kind = "queue", target = "loop" }
[[queues]]
name = "vm"
overflow = { kind = "voicemail", target = "4242" }
[[agents]]
id = "a1"
extension = "1001"
queues = [{ queue = "sales" }, { queue = "nowhere" }]
''')
    assert errors == [
        ("queues[0].overflow.target", 9,
         'unknown queue "sales2" (configured: loop, sales, vm)'),
        ("queues[0].supervisors[1]", 10, 'supervisor "2000" is not a configured user'),
        ("queues[1].overflow.target", 13, 'queue "loop" cannot overflow to itself'),
        ("queues[2].overflow.target", 16,
         'unknown mailbox "4242" (a mailbox is a user\'s extension)'),
        ("agents[0].extension", 19, 'extension "1001" is not a configured user'),
        ("agents[0].queues[1].queue", 20,
         'unknown queue "nowhere" (configured: loop, sales, vm)'),
    ]


def test_agents_written_as_tables_are_located_too() -> None:
    errors = errors_of('''\
[[queues]]
name = "q"
[[agents]]
id = "a1"
extension = "1000"
[[agents.queues]]
queue = "q"
[[agents.queues]]
queue = "r"
''')
    assert errors == [("agents[0].queues[1].queue", 15,
                       'unknown queue "r" (configured: q)')]
