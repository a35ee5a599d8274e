"""Constants of heartbeat 3.0.6's wire format: framing markers, field type digits, field
names, message types, the standard trailer field order and size limits.

Names follow heartbeat's own vocabulary (``t``, ``st``, ``rsc_hold`` ...) so that grep works
across the legacy documentation and pyhb. Imports stdlib only.
"""

from __future__ import annotations

from typing import Final

# --- size limits ----------------------------------------------------------------------
# A UDP payload can never exceed 65535 bytes; anything larger is dropped before parsing.
MAX_DATAGRAM: Final = 65535

# --- framing --------------------------------------------------------------------------
NETSTRING_START: Final = b"###\n"
NETSTRING_END: Final = b"%%%\n"
CLASSIC_START: Final = b">>>\n"
CLASSIC_END: Final = b"<<<"
# heartbeat's classic text rendering writes an LF inside a string value as byte 0x13.
CLASSIC_LF_SUBSTITUTE: Final = b"\x13"

# Field names and string values are bytes on the wire; pyhb holds them as str decoded
# with this codec, which maps every byte sequence to a str and back unchanged.
TEXT_ENCODING: Final = "utf-8"
TEXT_ERRORS: Final = "surrogateescape"

# --- field type digits (glue/include/clplumbing/cl_msg.h FT_*) --------------------------
FT_STRING: Final = 0
FT_BINARY: Final = 1
FT_STRUCT: Final = 2
FT_LIST: Final = 3
FT_COMPRESS: Final = 4
FT_UNCOMPRESS: Final = 5
FIELD_TYPES: Final = frozenset(
    {FT_STRING, FT_BINARY, FT_STRUCT, FT_LIST, FT_COMPRESS, FT_UNCOMPRESS}
)

# --- field names ----------------------------------------------------------------------
F_TYPE: Final = "t"
F_STATUS: Final = "st"
F_DEADTIME: Final = "dt"
F_PROTOCOL: Final = "protocol"
F_SRC: Final = "src"
F_SRCUUID: Final = "srcuuid"
F_DEST: Final = "dest"
F_DESTUUID: Final = "destuuid"
F_SEQ: Final = "seq"
F_HG: Final = "hg"
F_TS: Final = "ts"
F_LD: Final = "ld"
F_TTL: Final = "ttl"
F_AUTH: Final = "auth"
F_INFO: Final = "info"
F_RSC_HOLD: Final = "rsc_hold"
F_RTYPE: Final = "rtype"
F_ISSTABLE: Final = "isstable"
F_IPADDR: Final = "ipaddr"
F_WEOWN: Final = "weown"
F_OK: Final = "ok"
F_NODE: Final = "node"
F_RESULT: Final = "result"
F_FIRSTSEQ: Final = "firstseq"
F_LASTSEQ: Final = "lastseq"
F_ACKSEQ: Final = "ackseq"
F_NODELIST: Final = "nodelist"
F_DELNODELIST: Final = "delnodelist"
F_CN: Final = "cn"
F_CS: Final = "cs"
F_FROM_ID: Final = "from_id"
F_TO_ID: Final = "to_id"
F_CLIENT_GEN: Final = "client_gen"
F_REQTYPE: Final = "reqtype"
F_PID: Final = "pid"
F_UID: Final = "uid"
F_GID: Final = "gid"
F_COMPRESSED_PAYLOAD: Final = "_compressed_payload"
F_COMPRESSION_ALGORITHM: Final = "_compression_algorithm"

# --- message types (docs/protocol.md#message-types) -------------------------------------
T_STATUS: Final = "status"
T_ACKMSG: Final = "NS_ackmsg"
T_REXMIT: Final = "NS_rexmit"
T_NAK_REXMIT: Final = "NS_nak_rexmit"
T_NS_STATUS: Final = "NS_st"
T_REQNODES: Final = "reqnodes"
T_REPNODES: Final = "repnodes"
T_STARTING: Final = "starting"
T_RESOURCE: Final = "resource"
T_ASK_RESOURCES: Final = "ask_resources"
T_HB_TAKEOVER: Final = "hb_takeover"
T_IP_REQUEST: Final = "ip-request"
T_IP_REQUEST_RESP: Final = "ip-request-resp"
T_SHUTDONE: Final = "shutdone"
T_STONITH: Final = "stonith"
T_APICLISTAT: Final = "hbapi-clstat"
T_QUERY_CSTATUS: Final = "query-cstatus"
T_RESPOND_CSTATUS: Final = "respond-cstatus"
T_ADDNODE: Final = "addnode"
T_DELNODE: Final = "delnode"
T_SETWEIGHT: Final = "setweight"
T_SETSITE: Final = "setsite"


# Types starting with this prefix carry no seq (and no ld) and bypass ordering and
# retransmission (heartbeat.c: should_drop_message).
NS_PREFIX: Final = "NS_"

# --- the standard fields heartbeat appends after a message's own fields --------------
# ha_msg_internal.c add_control_msg_fields: destuuid (if dest is known), then this order;
# NS_ types leave out seq and ld. ``auth`` is last (msgfmt classic only).
TRAILER_ORDER: Final = (F_DESTUUID, F_SRC, F_SRCUUID, F_SEQ, F_HG, F_TS, F_LD, F_TTL, F_AUTH)
NS_OMITTED: Final = frozenset({F_SEQ, F_LD})


def is_ns_type(msgtype: str | None) -> bool:
    """True for the unsequenced ``NS_*`` message types."""
    return msgtype is not None and msgtype.startswith(NS_PREFIX)


def trailer_order(msgtype: str | None) -> tuple[str, ...]:
    """The standard trailer fields, in wire order, that a message of this type carries."""
    if is_ns_type(msgtype):
        return tuple(f for f in TRAILER_ORDER if f not in NS_OMITTED)
    return TRAILER_ORDER
