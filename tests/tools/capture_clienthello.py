#!/usr/bin/env python3
"""Capture a real TLS ClientHello, byte for byte, as it arrives over TCP.

Two subcommands, Python 3 standard library only:

  capture   Listen on 127.0.0.1 (and, with --ipv6, also on ::1), accept one
            connection, read until every TLS record that carries the complete
            ClientHello handshake message has arrived, write exactly those
            record bytes (nothing after the last of them) to --out, then close
            the connection. The client sees the connection drop and fails its
            handshake; that is expected.

  describe  Decode a captured file and print (or write, with --json) the facts
            a parser test can assert: sizes, record count, handshake length,
            SNI, ALPN, legacy version, extension list and so on.

Only loopback addresses are ever bound; nothing is sent anywhere.

Examples:

  # terminal 1
  python3 tests/tools/capture_clienthello.py capture --port 44301 \\
      --out tests/McProxy.Tests/Fixtures/ClientHello/openssl-sni-alpn.bin
  # terminal 2
  openssl s_client -connect 127.0.0.1:44301 -servername openssl.example.com \\
      -alpn h2,http/1.1 </dev/null

  python3 tests/tools/capture_clienthello.py describe \\
      tests/McProxy.Tests/Fixtures/ClientHello/openssl-sni-alpn.bin \\
      --client "OpenSSL 3.0.19" --captured-with "openssl s_client ..." \\
      --json tests/McProxy.Tests/Fixtures/ClientHello/openssl-sni-alpn.json
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import struct
import sys
import time

RECORD_HEADER_LEN = 5
CONTENT_TYPE_HANDSHAKE = 22
HANDSHAKE_CLIENT_HELLO = 1
# RFC 8446 5.1: a TLSPlaintext fragment is at most 2^14 bytes.
MAX_PLAINTEXT_FRAGMENT = 1 << 14

EXTENSION_NAMES = {
    0: "server_name",
    1: "max_fragment_length",
    5: "status_request",
    10: "supported_groups",
    11: "ec_point_formats",
    13: "signature_algorithms",
    16: "application_layer_protocol_negotiation",
    17: "status_request_v2",
    18: "signed_certificate_timestamp",
    21: "padding",
    22: "encrypt_then_mac",
    23: "extended_master_secret",
    27: "compress_certificate",
    28: "record_size_limit",
    35: "session_ticket",
    41: "pre_shared_key",
    42: "early_data",
    43: "supported_versions",
    45: "psk_key_exchange_modes",
    49: "post_handshake_auth",
    50: "signature_algorithms_cert",
    51: "key_share",
    57: "quic_transport_parameters",
    51764: "trust_anchors",
    17513: "application_settings_old",
    17613: "application_settings",
    65037: "encrypted_client_hello",
    65281: "renegotiation_info",
}

GROUP_NAMES = {
    23: "secp256r1",
    24: "secp384r1",
    25: "secp521r1",
    29: "x25519",
    30: "x448",
    256: "ffdhe2048",
    257: "ffdhe3072",
    258: "ffdhe4096",
    259: "ffdhe6144",
    260: "ffdhe8192",
    4588: "X25519MLKEM768",
    25497: "X25519Kyber768Draft00",
}


class CaptureError(Exception):
    pass


def is_grease(value: int) -> bool:
    """RFC 8701 GREASE values: 0x0A0A, 0x1A1A, ..., 0xFAFA."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def hex16(value: int) -> str:
    return f"0x{value:04x}"


# --------------------------------------------------------------------------
# Record framing: decide how many bytes make up the complete ClientHello.
# --------------------------------------------------------------------------

def clienthello_extent(buf: bytes) -> int | None:
    """Return the number of leading bytes of `buf` that are exactly the TLS
    records carrying the whole ClientHello handshake message, or None if more
    bytes are needed. Raises CaptureError on anything that is not a
    ClientHello in TLS handshake records."""
    offset = 0
    handshake = bytearray()
    while True:
        if len(buf) - offset < RECORD_HEADER_LEN:
            return None
        content_type, major, minor, length = struct.unpack_from("!BBBH", buf, offset)
        if content_type != CONTENT_TYPE_HANDSHAKE:
            raise CaptureError(
                f"record at offset {offset}: content type {content_type}, expected 22 (handshake)")
        if major != 3:
            raise CaptureError(
                f"record at offset {offset}: version {major}.{minor}, expected 3.x")
        if length == 0 or length > MAX_PLAINTEXT_FRAGMENT:
            raise CaptureError(f"record at offset {offset}: bad length {length}")
        end = offset + RECORD_HEADER_LEN + length
        if len(buf) < end:
            return None
        handshake += buf[offset + RECORD_HEADER_LEN:end]
        offset = end
        if len(handshake) >= 1 and handshake[0] != HANDSHAKE_CLIENT_HELLO:
            raise CaptureError(f"handshake message type {handshake[0]}, expected 1 (ClientHello)")
        if len(handshake) >= 4:
            msg_len = int.from_bytes(handshake[1:4], "big")
            if len(handshake) >= 4 + msg_len:
                return offset


def capture(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    listeners = []
    addresses = [(socket.AF_INET, "127.0.0.1")]
    if args.ipv6:
        addresses.append((socket.AF_INET6, "::1"))
    sel = selectors.DefaultSelector()
    try:
        for family, host in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, args.port))
            sock.listen(1)
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ)
            listeners.append(sock)
            print(f"listening on {host} port {args.port}", file=sys.stderr, flush=True)

        conn = None
        while conn is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CaptureError("timed out waiting for a connection")
            for key, _ in sel.select(remaining):
                try:
                    conn, peer = key.fileobj.accept()
                    break
                except BlockingIOError:
                    continue
        print(f"accepted connection from {peer}", file=sys.stderr, flush=True)
    finally:
        sel.close()
        for sock in listeners:
            sock.close()

    buf = bytearray()
    try:
        conn.setblocking(True)
        while True:
            extent = clienthello_extent(bytes(buf))
            if extent is not None:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CaptureError(f"timed out with {len(buf)} bytes, ClientHello incomplete")
            conn.settimeout(remaining)
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                raise CaptureError(f"timed out with {len(buf)} bytes, ClientHello incomplete")
            if not chunk:
                raise CaptureError(f"peer closed after {len(buf)} bytes, ClientHello incomplete")
            buf += chunk
    finally:
        conn.close()

    data = bytes(buf[:extent])
    with open(args.out, "wb") as f:
        f.write(data)
    extra = len(buf) - extent
    print(f"wrote {len(data)} bytes to {args.out}"
          + (f" ({extra} trailing bytes received and dropped)" if extra else ""),
          file=sys.stderr)
    return 0


# --------------------------------------------------------------------------
# Decoding: the facts a test can assert.
# --------------------------------------------------------------------------

class Reader:
    def __init__(self, data: bytes, what: str):
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise CaptureError(f"{self.what}: truncated at {self.pos} (need {n})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u24(self) -> int:
        return int.from_bytes(self.take(3), "big")

    def vec(self, len_bytes: int) -> bytes:
        return self.take(int.from_bytes(self.take(len_bytes), "big"))

    def done(self) -> bool:
        return self.pos == len(self.data)

    def expect_done(self) -> None:
        if not self.done():
            raise CaptureError(f"{self.what}: {len(self.data) - self.pos} unexpected trailing bytes")


def u16_list(data: bytes, what: str) -> list[int]:
    if len(data) % 2:
        raise CaptureError(f"{what}: odd length {len(data)}")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def describe_bytes(data: bytes) -> dict:
    extent = clienthello_extent(data)
    if extent is None:
        raise CaptureError("file does not hold a complete ClientHello")
    if extent != len(data):
        raise CaptureError(f"{len(data) - extent} bytes after the ClientHello records")

    records = []
    handshake = bytearray()
    offset = 0
    while offset < len(data):
        _, major, minor, length = struct.unpack_from("!BBBH", data, offset)
        records.append({"offset": offset, "version": hex16((major << 8) | minor), "length": length})
        handshake += data[offset + 5:offset + 5 + length]
        offset += 5 + length

    hs = Reader(bytes(handshake), "handshake")
    hs.u8()
    msg_len = hs.u24()
    body = Reader(hs.take(msg_len), "ClientHello")
    hs.expect_done()

    legacy_version = body.u16()
    body.take(32)  # random
    session_id = body.vec(1)
    cipher_suites = u16_list(body.vec(2), "cipher_suites")
    compression = list(body.vec(1))
    extensions = []
    if not body.done():
        ext_reader = Reader(body.vec(2), "extensions")
        body.expect_done()
        while not ext_reader.done():
            ext_type = ext_reader.u16()
            extensions.append((ext_type, ext_reader.vec(2)))

    sni = None
    sni_names = []
    alpn = []
    supported_versions = []
    supported_groups = []
    key_share_groups = []
    for ext_type, ext_data in extensions:
        if ext_type == 0:  # server_name, RFC 6066 3
            r = Reader(ext_data, "server_name")
            names = Reader(r.vec(2), "server_name_list")
            r.expect_done()
            while not names.done():
                name_type = names.u8()
                name = names.vec(2)
                sni_names.append({"type": name_type, "name": name.decode("ascii")})
            host = [n["name"] for n in sni_names if n["type"] == 0]
            sni = host[0] if host else None
        elif ext_type == 16:  # ALPN, RFC 7301 3.1
            r = Reader(ext_data, "alpn")
            protos = Reader(r.vec(2), "protocol_name_list")
            r.expect_done()
            while not protos.done():
                alpn.append(protos.vec(1).decode("ascii"))
        elif ext_type == 43:  # supported_versions, RFC 8446 4.2.1
            r = Reader(ext_data, "supported_versions")
            supported_versions = u16_list(r.vec(1), "supported_versions")
            r.expect_done()
        elif ext_type == 10:  # supported_groups, RFC 8446 4.2.7
            r = Reader(ext_data, "supported_groups")
            supported_groups = u16_list(r.vec(2), "supported_groups")
            r.expect_done()
        elif ext_type == 51:  # key_share, RFC 8446 4.2.8
            r = Reader(ext_data, "key_share")
            shares = Reader(r.vec(2), "client_shares")
            r.expect_done()
            while not shares.done():
                group = shares.u16()
                key = shares.vec(2)
                key_share_groups.append({"group": hex16(group),
                                         "name": "GREASE" if is_grease(group) else GROUP_NAMES.get(group),
                                         "key_exchange_length": len(key)})

    def ext_name(t: int) -> str | None:
        return "GREASE" if is_grease(t) else EXTENSION_NAMES.get(t)

    return {
        "total_bytes": len(data),
        "records": len(records),
        "record_layout": records,
        "handshake_length": msg_len,
        "sni": sni,
        "sni_entries": sni_names,
        "alpn": alpn,
        "legacy_version": hex16(legacy_version),
        "supported_versions": [hex16(v) for v in supported_versions],
        "session_id_length": len(session_id),
        "cipher_suites_count": len(cipher_suites),
        "compression_methods": compression,
        "extensions": [{"type": t, "name": ext_name(t), "length": len(d)} for t, d in extensions],
        "supported_groups": [hex16(g) for g in supported_groups],
        "key_share": key_share_groups,
    }


def describe(args: argparse.Namespace) -> int:
    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CaptureError(f"cannot read {args.file}: {e.strerror}")
    facts = describe_bytes(data)
    out = {
        "client": args.client,
        "captured_with": args.captured_with,
        "total_bytes": facts.pop("total_bytes"),
        "records": facts.pop("records"),
        "handshake_length": facts.pop("handshake_length"),
        "sni": facts.pop("sni"),
        "alpn": facts.pop("alpn"),
        "legacy_version": facts.pop("legacy_version"),
        "notes": args.notes,
    }
    out.update(facts)
    text = json.dumps(out, indent=2) + "\n"
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("capture", help="accept one connection and save its ClientHello records")
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--out", required=True, help="output file for the raw record bytes")
    p.add_argument("--ipv6", action="store_true", help="also listen on ::1")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="overall seconds to wait for the connection and the ClientHello (default 60)")
    p.set_defaults(func=capture)

    d = sub.add_parser("describe", help="decode a captured file and print its facts as JSON")
    d.add_argument("file")
    d.add_argument("--client", default=None, help="client name and version for the sidecar")
    d.add_argument("--captured-with", default=None, help="exact command used for the capture")
    d.add_argument("--notes", default="", help="free-form notes")
    d.add_argument("--json", default=None, help="write the JSON here instead of stdout")
    d.set_defaults(func=describe)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CaptureError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
