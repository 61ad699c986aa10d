"""SDP session descriptions (RFC 8866, formerly 4566): parse and serialize, losing nothing.

Attributes stay an ordered list of (name, value) pairs and every line the model does not
interpret (i=, u=, e=, p=, k=, r=, z=, unknown letters) is kept in order within its section,
so a description that is parsed and serialized again says the same thing. Errors are
`SdpError`, naming the line number and its text; nothing else escapes the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from softswitch.errors import ProtocolError

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class SdpError(ProtocolError):
    """A description that cannot be understood (400) or accepted (488)."""


@dataclass(slots=True)
class Origin:
    username: str = "-"
    session_id: str = "0"
    version: int = 0
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"

    def __str__(self) -> str:
        return (f"{self.username} {self.session_id} {self.version} {self.nettype} "
                f"{self.addrtype} {self.address}")


@dataclass(slots=True)
class Connection:
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @property
    def host(self) -> str:
        """The address without a multicast /ttl suffix."""
        return self.address.split("/", 1)[0]

    @property
    def is_hold(self) -> bool:
        """RFC 2543 hold: a connection address of 0.0.0.0 (RFC 3264 8.4)."""
        return self.host in ("0.0.0.0", "::")

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class RtpMap:
    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    def __str__(self) -> str:
        base = f"{self.payload_type} {self.encoding}/{self.clock_rate}"
        return base if self.channels is None else f"{base}/{self.channels}"


Attribute = tuple[str, str | None]


def _find(attributes: list[Attribute], name: str) -> str | None:
    for key, value in attributes:
        if key == name:
            return value if value is not None else ""
    return None


def _direction(attributes: list[Attribute]) -> str | None:
    for key, _ in attributes:
        if key in DIRECTIONS:
            return key
    return None


def _set_direction(attributes: list[Attribute], direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"not a direction: {direction}")
    attributes[:] = [a for a in attributes if a[0] not in DIRECTIONS]
    attributes.append((direction, None))


@dataclass(slots=True)
class MediaDescription:
    media: str = "audio"
    port: int = 0
    proto: str = "RTP/AVP"
    formats: list[str] = field(default_factory=list)
    port_count: int | None = None
    connection: Connection | None = None
    bandwidths: list[str] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # i=, k=, unknown, in order

    def attribute(self, name: str) -> str | None:
        """The first value of attribute `name` ("" for a flag), None when absent."""
        return _find(self.attributes, name)

    def attribute_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.attributes if key == name]

    @property
    def direction(self) -> str | None:
        """The media-level direction attribute, None when the session level decides."""
        return _direction(self.attributes)

    def set_direction(self, direction: str) -> None:
        _set_direction(self.attributes, direction)

    @property
    def payload_types(self) -> list[int]:
        return [int(f) for f in self.formats if f.isdigit() and int(f) < 128]

    def rtpmaps(self) -> dict[int, RtpMap]:
        """a=rtpmap lines by payload type; malformed ones are ignored (checked at parse)."""
        maps: dict[int, RtpMap] = {}
        for value in self.attribute_values("rtpmap"):
            rtpmap = _parse_rtpmap(value)
            if rtpmap is not None:
                maps.setdefault(rtpmap.payload_type, rtpmap)
        return maps

    def fmtp(self, payload_type: int) -> str | None:
        prefix = f"{payload_type} "
        for value in self.attribute_values("fmtp"):
            if value.startswith(prefix):
                return value[len(prefix):].strip()
        return None

    @property
    def ptime(self) -> int | None:
        value = self.attribute("ptime")
        if value is None:
            return None
        try:
            ptime = int(float(value))
        except ValueError:
            return None
        return ptime if ptime > 0 else None


@dataclass(slots=True)
class SessionDescription:
    origin: Origin = field(default_factory=Origin)
    session_name: str = "-"
    connection: Connection | None = None
    times: list[str] = field(default_factory=lambda: ["0 0"])
    bandwidths: list[str] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # i=, u=, e=, p=, r=, z=, k=
    media: list[MediaDescription] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        return _find(self.attributes, name)

    @property
    def direction(self) -> str | None:
        return _direction(self.attributes)

    def media_direction(self, media: MediaDescription) -> str:
        """The direction in force for `media`: its own, the session's, or sendrecv."""
        return media.direction or self.direction or "sendrecv"

    def media_connection(self, media: MediaDescription) -> Connection | None:
        return media.connection or self.connection

    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        return parse(data)

    def __str__(self) -> str:
        return serialize(self)

    def __bytes__(self) -> bytes:
        return serialize(self).encode("utf-8")


# -- parsing -----------------------------------------------------------------------------

_SESSION_OTHER = "iuepkrz"


def _fail(number: int, line: str, message: str) -> SdpError:
    shown = line if len(line) <= 80 else line[:77] + "..."
    return SdpError(f"SDP line {number} ({shown!r}): {message}")


def _parse_rtpmap(value: str) -> RtpMap | None:
    pt_text, _, rest = value.strip().partition(" ")
    parts = rest.strip().split("/")
    if not pt_text.isdigit() or len(parts) not in (2, 3) or not parts[0]:
        return None
    if not parts[1].isdigit() or (len(parts) == 3 and not parts[2].isdigit()):
        return None
    payload_type = int(pt_text)
    if payload_type > 127:
        return None
    channels = int(parts[2]) if len(parts) == 3 else None
    return RtpMap(payload_type, parts[0], int(parts[1]), channels)


def _parse_origin(value: str, number: int, line: str) -> Origin:
    fields = value.split()
    if len(fields) != 6:
        raise _fail(number, line, "o= needs 6 fields: username sess-id sess-version "
                    "nettype addrtype address")
    if not fields[2].isdigit():
        raise _fail(number, line, "o= session version is not a number")
    return Origin(fields[0], fields[1], int(fields[2]), fields[3], fields[4], fields[5])


def _parse_connection(value: str, number: int, line: str) -> Connection:
    fields = value.split()
    if len(fields) != 3:
        raise _fail(number, line, "c= needs 3 fields: nettype addrtype address")
    return Connection(fields[2], fields[0], fields[1])


def _parse_media(value: str, number: int, line: str) -> MediaDescription:
    fields = value.split()
    if len(fields) < 3:
        raise _fail(number, line, "m= needs media, port and proto")
    port_text, _, count_text = fields[1].partition("/")
    if not port_text.isdigit() or int(port_text) > 65535:
        raise _fail(number, line, f"m= port {fields[1]!r} is not a port number")
    port_count = None
    if count_text:
        if not count_text.isdigit() or int(count_text) == 0:
            raise _fail(number, line, f"m= port count {count_text!r} is not a number")
        port_count = int(count_text)
    return MediaDescription(fields[0], int(port_text), fields[2], fields[3:], port_count)


def _parse_attribute(value: str, number: int, line: str) -> Attribute:
    name, colon, rest = value.partition(":")
    if not name or " " in name:
        raise _fail(number, line, "a= attribute has no name")
    if name == "rtpmap" and _parse_rtpmap(rest) is None:
        raise _fail(number, line, "a=rtpmap must be '<pt> <encoding>/<clock rate>[/<channels>]'")
    return (name, rest if colon else None)


def parse(data: bytes | str) -> SessionDescription:
    """Parse an SDP body; SdpError (status 400) on anything that is not SDP."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SdpError(f"SDP is not UTF-8 text (byte {exc.start})") from exc
    else:
        text = data
    lines = text.replace("\r\n", "\n").split("\n")
    session = SessionDescription()
    session.times = []
    current: MediaDescription | None = None
    seen_version = seen_origin = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
            raise _fail(number, line, "not a '<letter>=<value>' line")
        kind, value = line[0], line[2:]
        if not seen_version:
            if kind != "v":
                raise _fail(number, line, "SDP must start with v=")
            if value.strip() != "0":
                raise _fail(number, line, f"unsupported SDP version {value!r}")
            seen_version = True
            continue
        if kind == "v":
            raise _fail(number, line, "a second v= line")
        if not seen_origin:
            if kind != "o":
                raise _fail(number, line, "o= must follow v=")
            session.origin = _parse_origin(value, number, line)
            seen_origin = True
            continue
        if kind == "m":
            current = _parse_media(value, number, line)
            session.media.append(current)
        elif kind == "c":
            connection = _parse_connection(value, number, line)
            if current is None:
                session.connection = connection
            else:
                current.connection = connection
        elif kind == "a":
            target = session.attributes if current is None else current.attributes
            target.append(_parse_attribute(value, number, line))
        elif kind == "b":
            (session.bandwidths if current is None else current.bandwidths).append(value)
        elif current is None and kind == "s":
            session.session_name = value or "-"  # RFC 8866: never empty
        elif current is None and kind == "t":
            session.times.append(value)
        elif kind == "o":
            raise _fail(number, line, "a second o= line")
        elif current is None:
            session.other.append((kind, value))
        else:
            current.other.append((kind, value))
    if not seen_origin:
        raise SdpError("SDP has no v= and o= lines" if not seen_version else "SDP has no o= line")
    if not session.times:
        session.times = ["0 0"]
    return session


# -- serializing ---------------------------------------------------------------------------


def _attribute_line(attribute: Attribute) -> str:
    name, value = attribute
    return f"a={name}" if value is None else f"a={name}:{value}"


def serialize(session: SessionDescription) -> str:
    """The description as SDP text with CRLF line ends, session lines in RFC 8866 order."""
    out = ["v=0", f"o={session.origin}", f"s={session.session_name or '-'}"]
    others = session.other
    out += [f"{k}={v}" for k, v in others if k in "iuep"]
    if session.connection is not None:
        out.append(f"c={session.connection}")
    out += [f"b={b}" for b in session.bandwidths]
    for time in session.times:
        out.append(f"t={time}")
    out += [f"{k}={v}" for k, v in others if k in "rz"]
    out += [f"{k}={v}" for k, v in others if k == "k"]
    out += [f"{k}={v}" for k, v in others if k not in _SESSION_OTHER]
    out += [_attribute_line(a) for a in session.attributes]
    for media in session.media:
        port = str(media.port) if media.port_count is None else f"{media.port}/{media.port_count}"
        out.append(" ".join(["m=" + media.media, port, media.proto, *media.formats]))
        out += [f"{k}={v}" for k, v in media.other if k == "i"]
        if media.connection is not None:
            out.append(f"c={media.connection}")
        out += [f"b={b}" for b in media.bandwidths]
        out += [f"{k}={v}" for k, v in media.other if k != "i"]
        out += [_attribute_line(a) for a in media.attributes]
    return "\r\n".join(out) + "\r\n"
