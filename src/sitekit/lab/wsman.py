"""WS-Management SOAP envelopes: parse requests, build the replies WinRS sends."""

from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CMD_RESOURCE = f"{SHELL_URI}/cmd"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_COMMAND = f"{SHELL_URI}/Command"
ACTION_SEND = f"{SHELL_URI}/Send"
ACTION_RECEIVE = f"{SHELL_URI}/Receive"
ACTION_SIGNAL = f"{SHELL_URI}/Signal"
SIGNAL_TERMINATE = f"{SHELL_URI}/signal/terminate"
STATE_DONE = f"{SHELL_URI}/CommandState/Done"
STATE_RUNNING = f"{SHELL_URI}/CommandState/Running"
_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
_FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

# WSMan fault codes ([MS-WSMV] and winerror.h) the lab answers with.
ERROR_OPERATION_TIMEOUT = 2150858793
ERROR_INVALID_SELECTORS = 2150858843
ERROR_UNSUPPORTED_ACTION = 2150858771
ERROR_BAD_REQUEST = 2150858817


class WsmanError(Exception):
    """A request the service answers with a SOAP fault."""

    def __init__(self, code: int, reason: str, subcode: str = "w:InvalidParameter") -> None:
        """Keep the WSMan code, the reason text and the SOAP subcode."""
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.subcode = subcode


@dataclass(frozen=True)
class Request:
    """The parts of a WS-Man request the shell service acts on."""

    action: str
    message_id: str
    resource_uri: str
    shell_id: str | None
    operation_timeout: float
    body: ET.Element


def tag(name: str) -> str:
    """Return the Clark name ('{uri}local') of a prefixed name such as 'rsp:Stream'.

    Element.find with a Clark name runs in C; a prefixed path with a namespace map goes
    through ElementPath in Python, which cost more than parsing a small request.
    """
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


_HEADER, _BODY = tag("s:Header"), tag("s:Body")
_ACTION, _MESSAGE_ID = tag("a:Action"), tag("a:MessageID")
_RESOURCE_URI, _OPERATION_TIMEOUT = tag("w:ResourceURI"), tag("w:OperationTimeout")
_SELECTOR_SET, _SELECTOR = tag("w:SelectorSet"), tag("w:Selector")


def parse_request(data: bytes | bytearray) -> Request:
    """Parse a SOAP envelope; malformed input raises WsmanError."""
    try:
        root = _parse(data)
    except ET.ParseError as exc:
        raise WsmanError(ERROR_BAD_REQUEST, f"the request is not well-formed XML: {exc}") from exc
    header = root.find(_HEADER)
    body = root.find(_BODY)
    if header is None or body is None:
        raise WsmanError(ERROR_BAD_REQUEST, "the request is not a SOAP envelope")
    return Request(
        action=_text(header, _ACTION),
        message_id=_text(header, _MESSAGE_ID),
        resource_uri=_text(header, _RESOURCE_URI),
        shell_id=_shell_id(header),
        operation_timeout=_seconds(_text(header, _OPERATION_TIMEOUT) or "PT60S"),
        body=body,
    )


# A Send carries stdin as one base64 text of up to ~270 KB, and expat with the tree
# builder takes 25 times longer over it than over the rest of the envelope. So a long
# Stream text is cut out before parsing and set on its element afterwards, when the text
# a parser would report is exactly those bytes: ASCII, no reference, CR, ']' or markup.
_LONG_TEXT = 4096
_STREAM_START = re.compile(
    rb"<((?:[A-Za-z_][\w.-]*:)?Stream)"
    rb"""(?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*>"""
)


def _parse(data: bytes | bytearray) -> ET.Element:
    """Parse an envelope, lifting a long Stream text past the parser."""
    lifted = _lift_stream_text(data) if len(data) > _LONG_TEXT else None
    # Authenticated loopback clients only; expat >= 2.4 refuses entity expansion bombs.
    if lifted is None:
        return ET.fromstring(data)  # noqa: S314
    envelope, text = lifted
    root = ET.fromstring(envelope)  # noqa: S314
    # The cut tag is the first "Stream" in the document, so its element is the first one.
    stream = next(e for e in root.iter() if e.tag.rpartition("}")[2] == "Stream")
    stream.text = text
    return root


def _lift_stream_text(data: bytes | bytearray) -> tuple[bytes | bytearray, str] | None:
    """Split off the long text of the first Stream element, or None if not plainly safe."""
    match = _STREAM_START.search(data)
    if match is None or data.find(b"Stream", 0, match.start()) >= 0:
        return None
    # Before it, no comment, CDATA or DOCTYPE, and no processing instruction but the
    # XML declaration: the match is a real start tag.
    if data.find(b"<!", 0, match.start()) >= 0 or data.find(b"<?", 1, match.start()) >= 0:
        return None
    start = match.end()
    end = data.find(b"<", start)
    if end - start < _LONG_TEXT or not data.startswith(b"</" + match.group(1) + b">", end):
        return None
    if any(data.find(c, start, end) >= 0 for c in (b"&", b"\r", b"]")):
        return None
    try:
        text = str(memoryview(data)[start:end], "ascii")
    except UnicodeDecodeError:
        return None
    return data[:start] + data[end:], text


def _shell_id(header: ET.Element) -> str | None:
    """Return the ShellId selector's value, None when the request names no shell."""
    selectors = header.find(_SELECTOR_SET)
    for selector in selectors if selectors is not None else ():
        if selector.tag == _SELECTOR and selector.get("Name") == "ShellId":
            return selector.text
    return None


def _text(parent: ET.Element, name: str) -> str:
    """Return a child element's stripped text, or '' when absent."""
    node = parent.find(name)
    return (node.text or "").strip() if node is not None else ""


def _seconds(duration: str) -> float:
    """Read the simple xs:duration forms clients send (PT20S, PT20.000S)."""
    value = duration.removeprefix("PT").removesuffix("S")
    try:
        return float(value)
    except ValueError:
        return 60.0


def envelope(action: str, relates_to: str, body: str) -> bytes:
    """Build a reply envelope with addressing headers."""
    return (
        '<s:Envelope xml:lang="en-US"'
        f' xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:x="{NS["x"]}"'
        f' xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}" xmlns:p="{NS["p"]}">'
        "<s:Header>"
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>{_ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        "</s:Header>"
        f"<s:Body>{body}</s:Body>"
        "</s:Envelope>"
    ).encode()


def created(relates_to: str, address: str, shell_id: str) -> bytes:
    """Reply to Create with the new shell's selector, as WinRS does."""
    body = (
        "<x:ResourceCreated>"
        f"<a:Address>{escape(address)}</a:Address>"
        "<a:ReferenceParameters>"
        f"<w:ResourceURI>{CMD_RESOURCE}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters>"
        "</x:ResourceCreated>"
        f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId>"
        f"<rsp:ResourceUri>{CMD_RESOURCE}</rsp:ResourceUri>"
        "<rsp:InputStreams>stdin</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>"
    )
    return envelope(f"{TRANSFER}/CreateResponse", relates_to, body)


def command_response(relates_to: str, command_id: str) -> bytes:
    """Reply to Command with the new command's id."""
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(f"{ACTION_COMMAND}Response", relates_to, body)


def send_response(relates_to: str) -> bytes:
    """Acknowledge a stdin chunk."""
    return envelope(f"{ACTION_SEND}Response", relates_to, "<rsp:SendResponse/>")


def receive_response(
    relates_to: str, command_id: str, stdout: bytes, stderr: bytes, exit_code: int | None
) -> bytes:
    """Reply to Receive with output; exit_code None means the command still runs."""
    cid = quoteattr(command_id)
    done = exit_code is not None
    end = ' End="true"' if done else ""
    streams = "".join(
        f"<rsp:Stream Name={quoteattr(name)} CommandId={cid}{end}>"
        f"{base64.b64encode(data).decode()}</rsp:Stream>"
        for name, data in (("stdout", stdout), ("stderr", stderr))
    )
    if done:
        state = (
            f'<rsp:CommandState CommandId={cid} State="{STATE_DONE}">'
            f"<rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>"
        )
    else:
        state = f'<rsp:CommandState CommandId={cid} State="{STATE_RUNNING}"/>'
    body = f'<rsp:ReceiveResponse SequenceID="0">{streams}{state}</rsp:ReceiveResponse>'
    return envelope(f"{ACTION_RECEIVE}Response", relates_to, body)


def signal_response(relates_to: str) -> bytes:
    """Acknowledge a Signal; RelatesTo is what pywinrm checks."""
    return envelope(f"{ACTION_SIGNAL}Response", relates_to, "<rsp:SignalResponse/>")


def delete_response(relates_to: str) -> bytes:
    """Acknowledge a Delete; RelatesTo is what pywinrm checks."""
    return envelope(f"{TRANSFER}/DeleteResponse", relates_to, "")


def fault(relates_to: str, error: WsmanError, machine: str) -> bytes:
    """Build the SOAP fault WinRM returns with HTTP 500."""
    reason = escape(error.reason)
    body = (
        "<s:Fault>"
        "<s:Code><s:Value>s:Receiver</s:Value>"
        f"<s:Subcode><s:Value>{escape(error.subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        "<s:Detail>"
        f'<f:WSManFault xmlns:f="{NS["f"]}" Code="{error.code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{reason}</f:Message></f:WSManFault>"
        "</s:Detail>"
        "</s:Fault>"
    )
    return envelope(_FAULT_ACTION, relates_to, body)
