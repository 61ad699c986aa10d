"""The control socket of a real Switch, spoken to over its Unix socket."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from pathlib import Path

from softswitch.control.protocol import MAX_REQUEST_BYTES
from tests.control.harness import LineClient, running_switch, short_data_dir


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_socket_is_private_and_removed_on_stop() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            path = switch.data_dir / "control.sock"
            mode = os.stat(path).st_mode
            assert stat.S_ISSOCK(mode)
            assert stat.S_IMODE(mode) == 0o600
            client = await LineClient.connect(path)
            assert (await client.call("ping"))["result"] == "pong"
            await client.close()
        assert not path.exists()
    run(scenario())


def test_stale_socket_from_a_crash_is_replaced() -> None:
    data = short_data_dir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(data / "control.sock"))
    stale.close()  # the file stays, nobody listens: what a crash leaves

    async def scenario() -> None:
        async with running_switch(data) as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            assert (await client.call("ping"))["ok"]
            await client.close()
    run(scenario())


def test_malformed_requests_get_error_objects_and_the_connection_stays_usable() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            await client.send_raw(b"{not json\n")
            assert (await client.read())["error"]["code"] == "bad_json"
            await client.send_raw(b"[1, 2]\n")
            assert (await client.read())["error"]["code"] == "bad_request"
            await client.send_raw(b'{"id": 7}\n')
            answer = await client.read()
            assert answer["id"] == 7 and answer["error"]["code"] == "bad_request"
            await client.send_raw(b"\xff\xfe\n")
            assert (await client.read())["error"]["code"] == "bad_json"
            answer = await client.call("no.such")
            assert answer["error"]["code"] == "unknown_command"
            assert "agent.login" in answer["error"]["message"]
            answer = await client.call("agent.login")
            assert answer["error"] == {"code": "bad_arguments",
                                       "message": "agent.login: missing argument 'agent'"}
            answer = await client.call("agent.login", agent=1001)
            assert answer["error"]["code"] == "bad_arguments"
            answer = await client.call("agent.login", agent="1001", colour="red")
            assert answer["error"]["code"] == "bad_arguments"
            answer = await client.call("agent.login", agent="1001", queues="default")
            assert answer["error"]["code"] == "bad_arguments"
            await client.send_raw(b"x" * (MAX_REQUEST_BYTES + 10) + b"\n")
            assert (await client.read())["error"]["code"] == "too_large"
            assert (await client.call("ping"))["result"] == "pong"
            await client.close()
    run(scenario())


def test_agent_login_pause_resume_logout_in_status_and_event_log() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            answer = await client.call("agent.login", agent="1001", queues=["default"])
            assert answer["ok"], answer
            assert answer["result"]["status"] == "available"
            assert answer["result"]["queues"] == ["default"]
            answer = await client.call("agent.pause", agent="1001", reason="lunch")
            assert answer["result"]["status"] == "on_break"
            assert answer["result"]["reason"] == "lunch"
            one = (await client.call("agent.status", agent="1001"))["result"]
            assert one["status"] == "on_break" and one["since"] is not None
            assert (await client.call("agent.resume", agent="1001"))["result"]["status"] \
                == "available"
            answer = await client.call("agent.login", agent="1001")
            assert answer["error"]["code"] == "refused"
            assert "available" in answer["error"]["message"]
            assert (await client.call("agent.logout", agent="1001"))["result"]["status"] \
                == "logged_out"
            answer = await client.call("agent.status", agent="9999")
            assert answer["error"]["code"] == "not_found"
            everyone = (await client.call("agent.status"))["result"]
            assert [a["agent"] for a in everyone] == ["1001", "1002", "1003"]
            await client.close()
            changes = [(e.agent, e.data["from"], e.data["to"], e.data["reason"])
                       async for e in switch.database.events.read(kinds=["agent.status"])]
            assert changes == [("1001", "logged_out", "available", ""),
                               ("1001", "available", "on_break", "lunch"),
                               ("1001", "on_break", "available", ""),
                               ("1001", "available", "logged_out", "")]
    run(scenario())


def test_queue_status_shows_waiting_callers_agents_and_today() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            center = switch.call_center
            assert center is not None
            center.enqueue("call-a", "default", number="555")
            client = await LineClient.connect(switch.data_dir / "control.sock")
            await client.call("agent.login", agent="1002")
            [queue] = (await client.call("queue.status"))["result"]
            # the caller went straight to the agent who logged in: they ring
            assert [(w["call_id"], w["phase"]) for w in queue["waiting"]] == \
                [("call-a", "offered")]
            assert queue["agents"]["ringing"] == ["1002"]
            center.agent_answered("call-a", "1002")
            center.enqueue("call-b", "default", number="556")
            await asyncio.sleep(0.05)
            center.hangup("call-b")  # abandoned
            center.enqueue("call-c", "default")
            [queue] = (await client.call("queue.status", queue="default"))["result"]
            assert [w["call_id"] for w in queue["waiting"]] == ["call-c"]
            assert queue["longest_wait"] >= 0
            assert queue["agents"]["on_call"] == ["1002"]
            assert queue["agents"]["logged_out"] == ["1001", "1003"]
            assert queue["today"] == {"answered": 1, "answered_in_time": 1, "abandoned": 1,
                                      "service_level": 0.5, "abandonment": 0.5}
            answer = await client.call("queue.status", queue="nope")
            assert answer["error"]["code"] == "not_found"
            await client.close()
    run(scenario())


def test_calls_commands_answer_with_clear_errors_on_a_quiet_switch() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            assert switch.call_control is not None
            client = await LineClient.connect(switch.data_dir / "control.sock")
            assert (await client.call("calls.list"))["result"] == []
            answer = await client.call("call.hangup", call_id="nope")
            assert answer["error"]["code"] == "not_found", answer
            answer = await client.call("call.originate", **{"from": "1999", "to": "1002"})
            assert answer["error"] == {"code": "refused",
                                       "message": "unknown extension 1999"}, answer
            answer = await client.call("call.originate", **{"from": "1001", "to": "1002"})
            assert answer["error"]["message"] == "extension 1001 is not registered"
            answer = await client.call("call.originate", **{"from": "1001", "to": "4321"})
            assert "no such number" in answer["error"]["message"]
            await client.close()
    run(scenario())


def test_switch_status() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            status = (await client.call("switch.status"))["result"]
            port = switch.bound[0].port
            assert status["listeners"] == [f"udp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port}"]
            assert status["registrations"] == 0
            assert status["users"] == 3
            assert status["agents"] == {"logged_out": 3}
            assert status["counters"]["clients"] == 1
            assert status["uptime"] >= 0
            await client.close()
    run(scenario())


def test_subscriber_sees_events_and_a_client_gone_mid_stream_is_forgotten() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            path = switch.data_dir / "control.sock"
            watcher = await LineClient.connect(path)
            quitter = await LineClient.connect(path)
            assert (await watcher.call("subscribe", kinds=["agent.status"]))["ok"]
            assert (await quitter.call("subscribe"))["ok"]
            events = switch.database.events
            assert events.subscriber_count == 2
            quitter.writer.transport.abort()  # gone without a word, mid-stream
            actor = await LineClient.connect(path)
            await actor.call("agent.login", agent="1003")
            event = await watcher.read()
            assert event["id"] == 1
            assert event["event"]["kind"] == "agent.status"
            assert event["event"]["agent"] == "1003"
            assert event["event"]["data"]["to"] == "available"
            for _ in range(50):
                if events.subscriber_count == 1:
                    break
                await asyncio.sleep(0.02)
            assert events.subscriber_count == 1
            assert (await actor.call("ping"))["ok"]
            await watcher.close()
            await actor.close()
    run(scenario())


def test_a_slow_subscriber_is_dropped_while_others_continue() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            assert switch.control is not None
            path = switch.data_dir / "control.sock"
            slow_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            slow_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow_sock.connect(str(path))
            slow_sock.sendall(b'{"id": 1, "cmd": "subscribe"}\n')
            fast = await LineClient.connect(path)
            assert (await fast.call("subscribe", kinds=["load."]))["ok"]
            events = switch.database.events
            for _ in range(200):  # the slow client's subscribe is read by then, or soon
                if events.subscriber_count == 2:
                    break
                await asyncio.sleep(0.01)
            assert events.subscriber_count == 2
            received = 0
            for batch in range(80):
                for i in range(100):
                    events.append("load.test", ts=0.0, n=batch * 100 + i, pad="x" * 200)
                while received < (batch + 1) * 100:
                    assert (await fast.read())["event"]["data"]["n"] == received
                    received += 1
            assert switch.control.counters["subscribers_dropped"] == 1
            assert events.subscriber_count == 1
            slow_sock.setblocking(False)
            slow_sock.close()
            await fast.close()
    run(scenario())


def test_config_reload_refuses_a_broken_file_and_keeps_the_running_config() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            path = Path(switch.config.source)
            good = path.read_text()
            client = await LineClient.connect(switch.data_dir / "control.sock")
            path.write_text(good + '\n[[users]]\nextension = "12ab"\npassword = ""\n')
            answer = await client.call("config.reload")
            assert answer["error"]["code"] == "config_invalid"
            assert any("12ab" in problem for problem in answer["error"]["details"])
            assert len(switch.config.users) == 3
            path.write_text(good + '\n[[users]]\nextension = "1004"\npassword = "pw-1004"\n')
            answer = await client.call("config.reload")
            assert answer["ok"], answer
            assert answer["result"]["added_users"] == ["1004"]
            assert answer["result"]["agents_added"] == ["1004"]
            assert switch.passwords["1004"] == "pw-1004"
            assert switch.call_center is not None
            assert "1004" in switch.call_center.acd.agents
            await client.close()
    run(scenario())


CENTER = """
[[queues]]
name = "sales"
wrap_up = 10

[[agents]]
id = "alice"
extension = "1001"
queues = [{ queue = "sales" }]
"""


def test_config_reload_reshapes_the_call_center_and_new_users_become_dialable() -> None:
    async def scenario() -> None:
        async with running_switch(extra=CENTER) as switch:
            path = Path(switch.config.source)
            client = await LineClient.connect(switch.data_dir / "control.sock")
            assert (await client.call("agent.login", agent="alice"))["ok"]
            grown = path.read_text().replace("wrap_up = 10", "wrap_up = 30").replace(
                'queues = [{ queue = "sales" }]',
                'queues = [{ queue = "sales" }, { queue = "support" }]')
            grown += ('\n[[queues]]\nname = "support"\n'
                      '[[agents]]\nid = "bob"\nextension = "1002"\n'
                      'queues = [{ queue = "support" }]\n'
                      '[[users]]\nextension = "1004"\npassword = "pw-1004-long"\n')
            path.write_text(grown)
            answer = await client.call("config.reload")
            assert answer["ok"], answer
            changes = answer["result"]["call_center"]
            assert changes["queues_added"] == ["support"]
            assert changes["queues_changed"] == ["sales"]
            assert changes["agents_added"] == ["bob"]
            assert "1004" not in switch.call_center.acd.agents  # users are not agents here
            status = (await client.call("agent.status", agent="alice"))["result"]
            assert status["status"] == "available"  # her session survived the reload
            assert status["queues"] == ["sales", "support"]
            assert (await client.call("queue.status", queue="support"))["ok"]
            b2bua = switch.driver.core.b2bua
            assert b2bua.dial_plan.route("1004").extension == "1004"
            await client.close()
    run(scenario())


def test_user_add_change_remove_edit_the_file_atomically() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            path = Path(switch.config.source)
            os.chmod(path, 0o600)
            path.write_text("# our office\n" + path.read_text())
            client = await LineClient.connect(switch.data_dir / "control.sock")
            answer = await client.call("user.add", extension="2001", password="pw 2001",
                                       name='Ann "the boss"')
            assert answer["ok"], answer
            assert switch.passwords["2001"] == "pw 2001"
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            assert path.read_text().startswith("# our office\n")
            answer = await client.call("user.add", extension="2001", password="again")
            assert answer["error"]["code"] == "refused"
            answer = await client.call("user.add", extension="20x1", password="pw")
            assert answer["error"]["code"] == "config_invalid"
            answer = await client.call("user.change", extension="2001", password="new")
            assert answer["ok"] and switch.passwords["2001"] == "new"
            assert switch.config.user("2001").name == 'Ann "the boss"'  # type: ignore[union-attr]
            listed = (await client.call("user.list"))["result"]
            assert {"extension": "2001", "name": 'Ann "the boss"'} in listed
            assert all("password" not in entry for entry in listed)
            answer = await client.call("user.remove", extension="1002")
            assert answer["ok"] and answer["result"]["removed_users"] == ["1002"]
            assert "1002" not in switch.passwords
            assert "1002" not in path.read_text()
            answer = await client.call("user.remove", extension="1002")
            assert answer["error"]["code"] == "refused"
            leftovers = [p for p in path.parent.iterdir() if p.name.startswith(".")]
            assert leftovers == []
            await client.close()
    run(scenario())


def test_many_requests_in_one_write_get_answers_in_order() -> None:
    async def scenario() -> None:
        async with running_switch() as switch:
            client = await LineClient.connect(switch.data_dir / "control.sock")
            burst = b"".join(json.dumps({"id": i, "cmd": "ping"}).encode() + b"\n"
                             for i in range(200))
            await client.send_raw(burst)
            ids = [(await client.read())["id"] for _ in range(200)]
            assert ids == list(range(200))
            await client.close()
    run(scenario())
