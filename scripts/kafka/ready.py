"""Exit 0 when a Kafka Metadata request to any of the bootstrap servers
(host:port,...) lists at least N brokers; 1 otherwise. Metadata v4, no
topics (null array: all of them are not needed, so an empty one)."""
import socket
import struct
import sys


def brokers(host, port):
    client = b"dualstream-ready"
    # request header v1: api_key 3 (Metadata), version 4, correlation id, client id
    body = struct.pack(">hhih", 3, 4, 1, len(client)) + client
    # topics: empty array; allow_auto_topic_creation: false
    body += struct.pack(">i?", 0, False)
    with socket.create_connection((host, port), timeout=1) as s:
        s.settimeout(2)
        s.sendall(struct.pack(">i", len(body)) + body)
        head = recv(s, 4)
        (size,) = struct.unpack(">i", head)
        resp = recv(s, size)
    # correlation id, throttle_time_ms, then the brokers array
    (_, _, count) = struct.unpack_from(">iii", resp, 0)
    return count


def recv(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise OSError("closed")
        out += chunk
    return out


def main():
    servers, want = sys.argv[1], int(sys.argv[2])
    for server in servers.split(","):
        host, port = server.rsplit(":", 1)
        try:
            if brokers(host, int(port)) >= want:
                return 0
        except (OSError, struct.error):
            continue
    return 1


sys.exit(main())
