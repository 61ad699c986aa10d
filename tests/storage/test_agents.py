import asyncio
import random
from pathlib import Path

from softswitch.acd import Acd, Agent, QueueConfig, Status, Tier
from softswitch.acd.config import build_acd, restore_sessions
from softswitch.config import parse_config
from softswitch.storage import Database
from softswitch.storage.agents import AgentSessionRepository

CONFIG = '''
[[users]]
extension = "1000"
password = "x"
[[users]]
extension = "1001"
password = "x"
[[users]]
extension = "1002"
password = "x"
[[queues]]
name = "sales"
[[agents]]
id = "a1"
extension = "1000"
queues = [{ queue = "sales" }]
[[agents]]
id = "a2"
extension = "1001"
queues = [{ queue = "sales" }]
[[agents]]
id = "a3"
extension = "1002"
'''


def repository(db: Database) -> AgentSessionRepository:
    return AgentSessionRepository(db.conn, db.writer)


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    config = parse_config(CONFIG, "pbx.toml")
    path = tmp_path / "s.db"

    async def before_restart() -> None:
        acd = build_acd(config, random.Random(1))
        acd.login("a1", 10.0)
        acd.login("a2", 11.0)
        acd.set_break("a2", "lunch", 12.0)
        db = await Database.open(path)
        repository(db).save_snapshot(acd.snapshot(), since=1000.0)
        await db.close()

    async def after_restart() -> Acd:
        db = await Database.open(path)
        stored = await repository(db).load_snapshot()
        await db.close()
        acd = build_acd(config, random.Random(1))
        restore_sessions(acd, stored, now=0.0)
        return acd

    asyncio.run(before_restart())
    acd = asyncio.run(after_restart())
    assert acd.agents["a1"].status is Status.AVAILABLE
    assert acd.agents["a2"].status is Status.ON_BREAK
    assert acd.agents["a2"].break_reason == "lunch"
    assert acd.agents["a3"].status is Status.LOGGED_OUT
    # the restored available agent takes calls again; the paused one does not
    effects = acd.enqueue("c1", "sales", 1.0)
    rung = [e for e in effects if type(e).__name__ == "RingAgent"]
    assert [e.agent_id for e in rung] == ["a1"]


def test_plain_restore_brings_back_the_same_sessions(tmp_path: Path) -> None:
    """Without a configuration: Acd.snapshot() in, Acd.restore() out."""
    def fresh() -> Acd:
        return Acd(queues=[QueueConfig("q", tiers=(Tier("x"), Tier("y")))],
                   agents=[Agent("x", extension="2000", skills={"fr": 4}), Agent("y")])

    async def main() -> Acd:
        acd = fresh()
        acd.login("x", 0.0)
        acd.login("y", 0.0)
        acd.set_break("y", "training", 1.0)
        db = await Database.open(tmp_path / "s.db")
        repository(db).save_snapshot(acd.snapshot(), since=5.0)
        await db.close()
        db = await Database.open(tmp_path / "s.db")
        stored = await repository(db).load_snapshot()
        await db.close()
        restored = Acd(queues=[QueueConfig("q", tiers=(Tier("x"), Tier("y")))])
        restored.restore(stored, 0.0)
        return restored

    acd = asyncio.run(main())
    assert acd.agents["x"].status is Status.AVAILABLE
    assert acd.agents["x"].extension == "2000"
    assert acd.agents["x"].skills == {"fr": 4}
    assert (acd.agents["y"].status, acd.agents["y"].break_reason) == (Status.ON_BREAK,
                                                                      "training")


def test_since_is_kept_while_the_status_stays(tmp_path: Path) -> None:
    async def main() -> list[float]:
        db = await Database.open(tmp_path / "s.db")
        repo = repository(db)
        agent = Agent("a1", extension="1000")
        agent.status = Status.AVAILABLE
        repo.save_session(agent.session(), since=100.0)
        agent.calls_answered = 3
        repo.save_session(agent.session(), since=200.0)  # same status: since stays
        first = (await repo.load_sessions())[0]
        agent.status, agent.break_reason = Status.ON_BREAK, "lunch"
        repo.save_session(agent.session(), since=300.0)
        second = (await repo.load_sessions())[0]
        agent.break_reason = "meeting"
        repo.save_session(agent.session(), since=400.0)  # a new reason is a new status
        third = (await repo.load_sessions())[0]
        await db.close()
        assert first.session["calls_answered"] == 3
        assert (second.status, second.break_reason) == ("on_break", "lunch")
        return [first.since, second.since, third.since]

    assert asyncio.run(main()) == [100.0, 300.0, 400.0]


def test_save_changes_follows_the_acd_effects(tmp_path: Path) -> None:
    async def main() -> tuple[list[str], list[str], list[str]]:
        db = await Database.open(tmp_path / "s.db")
        repo = repository(db)
        acd = Acd(agents=[Agent("a"), Agent("b")])
        saved = repo.save_changes(acd.login("a", 0.0), acd.agents, since=50.0)
        refused = repo.save_changes(acd.set_available("b", 1.0), acd.agents, since=51.0)
        stored = await repo.load_sessions()
        await db.close()
        return saved, refused, [f"{s.agent_id}:{s.status}" for s in stored]

    saved, refused, stored = asyncio.run(main())
    assert saved == ["a"]
    assert refused == []  # a refused transition changes nothing
    assert stored == ["a:available"]


def test_delete_and_a_damaged_row(tmp_path: Path) -> None:
    async def main() -> list[tuple[str, str, dict[str, object]]]:
        db = await Database.open(tmp_path / "s.db")
        repo = repository(db)
        repo.save_session(Agent("gone").session(), since=1.0)
        repo.save_session(Agent("kept", name="Kim").session(), since=1.0)
        repo.delete_session("gone")
        await repo.flush()
        await db.conn.execute("INSERT INTO agent_sessions VALUES "
                              "('broken', 'available', '', '1005', 2.0, 'not json')")
        stored = await repo.load_sessions()
        await db.close()
        return [(s.agent_id, s.status, dict(s.session)) for s in stored]

    rows = asyncio.run(main())
    assert [r[0] for r in rows] == ["broken", "kept"]
    assert rows[0][2] == {"id": "broken", "status": "available", "break_reason": "",
                          "extension": "1005"}
    assert rows[1][2]["name"] == "Kim"
    # a damaged row still restores as a session of its agent
    assert Agent.from_session(rows[0][2]).status is Status.AVAILABLE
