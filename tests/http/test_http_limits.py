#!/usr/bin/python3
"""valetd's limits and protocol errors, over real HTTP on loopback.

Starts the valetd binary with small limits (a 2 s header deadline, 64
connections per client) on the sample inventory, then talks to it with raw
sockets, as a hostile or broken client would: every refusal must be an
answer (never a silence), with valet-api's JSON error body naming the
bound. Run by CTest: test_http_limits.py VALETD SOURCE_DIR.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

VALETD = None
SOURCE_DIR = None
# Generous: how long a client waits for an answer before calling it silence.
ANSWER_WAIT_S = 15

CONFIG = """
server: {
  listen = "127.0.0.1:0";
  threads = 2;
  header_timeout_s = 2;
  request_timeout_s = 3;
  max_client_connections = 64;
  max_connections = 4096;
};
service: {
  max_resources = 50;
  max_members = 100;
};
"""


class Valetd:
    """The valetd binary on an ephemeral port, its log in a file."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="valet-test-limits-")
        conf = os.path.join(self.dir, "valet.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        self.log_path = os.path.join(self.dir, "valetd.log")
        self.log = open(self.log_path, "w")
        inventory = os.path.join(SOURCE_DIR, "conf", "sample-inventory.json")
        self.proc = subprocess.Popen(
            [VALETD, "--config", conf, "--inventory", inventory,
             "--data-dir", os.path.join(self.dir, "data")],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_port()

    def _wait_port(self):
        tag = "listening on 127.0.0.1:"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            at = text.find(tag)
            if at >= 0:
                return int(text[at + len(tag):].split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError("valetd exited:\n" + text)
            time.sleep(0.05)
        raise RuntimeError("valetd did not start listening")

    def stop(self):
        """Stop valetd; its exit status (under ASan, not 0 when it leaked) and log."""
        self.proc.terminate()
        code = self.proc.wait(30)
        self.log.close()
        with open(self.log_path) as f:
            text = f.read()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code, text


def connect(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(ANSWER_WAIT_S)
    s.connect(("127.0.0.1", port))
    return s


def read_answer(s):
    """(status, headers text, body bytes) of the one answer on s, read to its end."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [ln for ln in head.split(b"\r\n")
                      if ln.lower().startswith(b"content-length:")]
            if length and len(body) >= int(length[0].split(b":")[1]):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        raise AssertionError("no answer")
    status = int(head.split(b" ")[1])
    return status, head.decode("latin-1"), body


def raw(port, request, source="127.0.0.1"):
    s = connect(port, source)
    try:
        s.sendall(request)
        return read_answer(s)
    finally:
        s.close()


def api(port, method, path, body=None):
    """(status, parsed JSON or None) through urllib, a well-behaved client."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=ANSWER_WAIT_S) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Valetd()
        cls.port = cls.d.port

    @classmethod
    def tearDownClass(cls):
        code, log = cls.d.stop()
        if code != 0:
            raise AssertionError("valetd exited %d:\n%s" % (code, log[-4000:]))

    def assert_error(self, answer, status, *words):
        got, head, body = answer
        self.assertEqual(got, status, head)
        self.assertIn("application/json", head)
        doc = json.loads(body)
        self.assertEqual(doc["code"], status)
        for w in words:
            self.assertIn(w, doc["explanation"])
        return doc

    # ---- the request line and headers

    def test_binary_request_line_is_answered(self):
        self.assert_error(raw(self.port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                          400, "not part of an HTTP method")

    def test_binary_target_is_answered(self):
        self.assert_error(raw(self.port, b"GET /\x01\xff HTTP/1.1\r\n"), 400,
                          "request target")

    def test_many_query_arguments_are_answered(self):
        q = "&".join(["a"] * 1600)
        answer = raw(self.port, ("GET /v1/placements?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                                 % q).encode())
        self.assert_error(answer, 400, "1600 query arguments", "server.max_query_args")

    def test_unsupported_version_is_json(self):
        self.assert_error(raw(self.port, b"GET /v1 HTTP/2.0\r\nHost: x\r\n\r\n"), 505,
                          "HTTP/2.0")

    def test_http11_needs_host(self):
        self.assert_error(raw(self.port, b"GET /v1 HTTP/1.1\r\n\r\n"), 400, "Host")
        status, _, _ = raw(self.port, b"GET /v1 HTTP/1.0\r\n\r\n")
        self.assertEqual(status, 200)

    def test_long_target_is_json(self):
        path = "/v1/plans/" + "a" * 9000
        self.assert_error(raw(self.port, ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n"
                                          % path).encode()), 414, "server.max_url_kb")

    def test_large_headers_are_json(self):
        big = "".join("X-Filler-%d: %s\r\n" % (i, "y" * 1000) for i in range(20))
        self.assert_error(raw(self.port, ("GET /v1 HTTP/1.1\r\nHost: x\r\n%s\r\n"
                                          % big).encode()), 431, "server.max_header_kb")

    def test_declared_length_over_the_limit_is_json(self):
        for length in ("99999999999", "999999999999999999999999999999"):
            self.assert_error(raw(self.port, ("POST /v1/plans HTTP/1.1\r\nHost: x\r\n"
                                              "Content-Length: %s\r\n\r\n" % length).encode()),
                              413, "server.max_body_kb")
        self.assert_error(raw(self.port, b"POST /v1/plans HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 0x10\r\n\r\n"), 400, "not a number")

    def test_bad_chunking_is_json(self):
        head = b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        self.assert_error(raw(self.port, head + b"zz\r\n{}\r\n0\r\n\r\n"), 400,
                          "chunk size")
        self.assert_error(raw(self.port, head + b"2\r\n{}xx\r\n0\r\n\r\n"), 400,
                          "longer than its size")
        self.assert_error(raw(self.port, head + b"2\r\n{}\r\n0\r\n\r\n"), 400,
                          "plan_name")

    def test_one_request_per_connection(self):
        """server.keep_alive false: a second request on the connection is not read."""
        q = "&".join(["a"] * 1600)
        s = connect(self.port)
        try:
            s.sendall(b"GET /v1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      + ("GET /v1/plans?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q).encode())
            status, head, _ = read_answer(s)
            self.assertEqual(status, 200, head)
            self.assertIn("Connection: close", head)
            self.assertEqual(s.recv(100), b"")
        finally:
            s.close()

    def test_slow_body_is_cut_off(self):
        """A body trickling in past server.request_timeout_s closes the connection."""
        s = connect(self.port)
        closed = False
        try:
            s.sendall(b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            for _ in range(20):
                time.sleep(0.5)
                try:
                    s.sendall(b" ")
                    s.settimeout(0.01)
                    if s.recv(100) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
        finally:
            s.close()
        self.assertTrue(closed, "the connection outlived server.request_timeout_s")

    def test_slow_headers_get_408(self):
        s = connect(self.port)
        try:
            s.sendall(b"GET /v1 HTTP/1.1\r\nHost: x\r\n")
            self.assert_error(read_answer(s), 408, "server.header_timeout_s")
        finally:
            s.close()

    # ---- connections

    def test_one_client_cannot_lock_out_another(self):
        """2,000 idle and slowloris connections from 127.0.0.1; 127.0.0.2 is answered."""
        held, refused = [], 0
        try:
            for i in range(2000):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(ANSWER_WAIT_S)
                s.connect(("127.0.0.1", self.port))
                if i % 2:
                    s.sendall(b"GET /v1 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                held.append(s)
            # another client, while every one of those is open or being refused
            answer = raw(self.port, b"GET /v1/plans HTTP/1.1\r\nHost: y\r\n\r\n",
                         source="127.0.0.2")
            self.assertEqual(answer[0], 200, answer[1])
            # the flood got the bound named, not a silence
            for s in held[100:110]:
                self.assert_error(read_answer(s), 429, "server.max_client_connections")
                refused += 1
        finally:
            for s in held:
                s.close()
        self.assertEqual(refused, 10)

    # ---- what requests say

    def test_validation_without_a_server(self):
        no_type = {"plan_name": "p", "stack_id": "s-no-type",
                   "resources": {"v": {"name": "v", "properties": {"size": 1}}}}
        status, doc = api(self.port, "POST", "/v1/plans", no_type)
        self.assertEqual(status, 400, doc)
        self.assertIn("type", doc["explanation"])
        for size in (-3, "0x10", "1e3"):
            vol = {"plan_name": "p", "stack_id": "s-vol",
                   "resources": {"v": {"name": "v", "type": "OS::Cinder::Volume",
                                       "properties": {"size": size}}}}
            status, doc = api(self.port, "POST", "/v1/plans", vol)
            self.assertEqual(status, 400, (size, doc))
            self.assertIn("size", doc["explanation"])

    def test_resources_are_bounded(self):
        res = {"v%d" % i: {"name": "v%d" % i, "type": "OS::Cinder::Volume",
                           "properties": {"size": 1}} for i in range(51)}
        status, doc = api(self.port, "POST", "/v1/plans",
                          {"plan_name": "p", "stack_id": "s-many", "resources": res})
        self.assertEqual(status, 400, doc)
        self.assertIn("service.max_resources", doc["explanation"])

    def test_groups_per_server_are_bounded(self):
        names = ["per-server-%d" % i for i in range(65)]
        for name in names:
            status, doc = api(self.port, "POST", "/v1/groups",
                              {"name": name, "type": "diversity"})
            self.assertEqual(status, 201, doc)
        vm = {"name": "vm", "type": "OS::Nova::Server",
              "properties": {"flavor": "m1.small",
                             "metadata": {"valet": {"groups": names}}}}
        status, doc = api(self.port, "POST", "/v1/plans",
                          {"plan_name": "p", "stack_id": "s-groups", "resources": {"vm": vm}})
        self.assertEqual(status, 400, doc)
        self.assertIn("server vm is in 65 groups; at most 64", doc["explanation"])

    def test_group_names_are_not_paths(self):
        for name in (".", ".."):
            status, doc = api(self.port, "POST", "/v1/groups",
                              {"name": name, "type": "affinity"})
            self.assertEqual(status, 400, (name, doc))

    def test_members_are_bounded(self):
        status, doc = api(self.port, "POST", "/v1/groups",
                          {"name": "bounded", "type": "exclusivity"})
        self.assertEqual(status, 201, doc)
        members = ["t%d" % i for i in range(60)]
        status, doc = api(self.port, "PUT", "/v1/groups/bounded/members",
                          {"members": members})
        self.assertEqual(status, 201, doc)
        # 60 + 60 - 20 already there = 100: the bound itself is accepted
        status, doc = api(self.port, "PUT", "/v1/groups/bounded/members",
                          {"members": ["t%d" % i for i in range(40, 80)]})
        self.assertEqual(status, 201, doc)
        self.assertEqual(len(doc["members"]), 80)
        status, doc = api(self.port, "PUT", "/v1/groups/bounded/members",
                          {"members": ["u%d" % i for i in range(21)]})
        self.assertEqual(status, 400, doc)
        self.assertIn("service.max_members", doc["explanation"])
        status, doc = api(self.port, "PUT", "/v1/groups/bounded/members",
                          {"members": ["w%d" % i for i in range(101)]})
        self.assertEqual(status, 400, doc)

    def test_reserved_placement_keeps_its_resource(self):
        with open(os.path.join(SOURCE_DIR, "conf", "sample-stack.json")) as f:
            stack = json.load(f)
        stack["stack_id"] = "limits-reserve"
        status, doc = api(self.port, "POST", "/v1/plans", stack)
        self.assertEqual(status, 201, doc)
        orch, placement = next(iter(doc["plan"]["placements"].items()))
        where = {"locations": [placement["location"]]}
        status, doc = api(self.port, "POST", "/v1/placements/" + orch,
                          dict(where, resource_id="first-uuid"))
        self.assertEqual(status, 201, doc)
        status, doc = api(self.port, "POST", "/v1/placements/" + orch,
                          dict(where, resource_id="first-uuid"))
        self.assertEqual(status, 201, doc)
        status, doc = api(self.port, "POST", "/v1/placements/" + orch,
                          dict(where, resource_id="second-uuid"))
        self.assertEqual(status, 409, doc)
        self.assertIn("first-uuid", doc["explanation"])
        self.assertIn("second-uuid", doc["explanation"])


if __name__ == "__main__":
    VALETD, SOURCE_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
