#!/usr/bin/env python3
"""Three Parley nodes on one PostgreSQL database behind HAProxy, a mixed workload of
members, a contact and staff through the balancer, one node killed with SIGKILL midway
and started again; then every acknowledged write is checked on every node.

Run by tests/cluster/run.sh (which installs HAProxy and builds the binary). Prints what
it measured and exits non-zero on any failed check. Standard library only.
"""

import argparse
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SECRET = "cluster-test-secret-cluster-test-secret-0123"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def psql(db_url, sql):
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-F", "\t", db_url, "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


class Node:
    def __init__(self, name, bin_path, db_url, root, base_url, demo=False):
        self.name = name
        self.port = free_port()
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.bin = bin_path
        self.db_url = db_url
        self.base_url = base_url
        self.demo = demo
        self.proc = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ)
        env.update({
            "PARLEY_DATA_DIR": self.dir,
            "DATABASE_URL": self.db_url,
            "PARLEY_BIND": f"127.0.0.1:{self.port}",
            "PARLEY_SECRET": SECRET,
            "PARLEY_BASE_URL": self.base_url,
            "PARLEY_RATE_LIMITS": "off",
            "PARLEY_TRUST_PROXY": "true",
            "PARLEY_LOG": "warn",
        })
        env.pop("PARLEY_EMBEDDING_MODEL", None)
        args = [self.bin, "serve"] + (["--demo"] if self.demo and self.starts == 0 else [])
        self.starts += 1
        out = open(os.path.join(self.dir, f"stdout-{self.starts}.txt"), "w")
        err = open(os.path.join(self.dir, f"stderr-{self.starts}.txt"), "w")
        self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=err)

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}; see {self.dir}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    body = json.load(r)
                    if r.status == 200 and body.get("search") == "ok":
                        return body
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} was not ready within {timeout} s")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def haproxy_config(port, nodes):
    servers = "\n".join(
        f"    server {n.name} 127.0.0.1:{n.port} check" for n in nodes
    )
    return f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A request that never reached a node (its process gone) goes to another one; one
    # that reached it is never sent twice.
    retries 3
    option redispatch 1
    retry-on conn-failure
frontend web
    bind 127.0.0.1:{port}
    http-request del-header Forwarded
    http-request set-header X-Forwarded-For %[src]
    default_backend nodes
    http-response set-header X-Parley-Node %s
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
{servers}
"""


class Client:
    """One person's calls, all recorded with their outcome."""

    def __init__(self, base, token, log, lock):
        self.base = base
        self.token = token
        self.log = log
        self.lock = lock

    def call(self, method, path, body=None, raw=None, content_type=None, base=None):
        data = None
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
            headers["Content-Type"] = content_type
        req = urllib.request.Request((base or self.base) + path, data=data, method=method, headers=headers)
        started = time.time()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, payload, node = r.status, r.read(), r.headers.get("X-Parley-Node")
        except urllib.error.HTTPError as e:
            status, payload, node = e.code, e.read(), e.headers.get("X-Parley-Node")
        except (urllib.error.URLError, OSError) as e:
            status, payload, node = 0, str(e).encode(), None
        if base is None:
            with self.lock:
                self.log.append((started, time.time(), method, path, status, node))
        return status, payload


def multipart(field, filename, data):
    boundary = "----parley%016x" % random.getrandbits(64)
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
        f"filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def token(base, email, password):
    req = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"email": email, "password": password, "name": "cluster"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)["token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="parley-cluster-")
    lb_port = free_port()
    base = f"http://127.0.0.1:{lb_port}"
    nodes = [Node(f"n{i}", args.bin, args.db_url, root, base, demo=(i == 1)) for i in (1, 2, 3)]
    haproxy = None
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    try:
        nodes[0].start()
        nodes[0].wait_ready()
        accounts = {}
        for line in open(os.path.join(nodes[0].dir, "stdout-1.txt")):
            m = re.search(r"\s(\S+@\S+)\s+(\S+)\s*$", line)
            if m:
                accounts[m.group(1)] = m.group(2)
        # Tickets closed long ago, made before n2 and n3 start together: both run the
        # archiving job as they start, at the same moment.
        lock = threading.Lock()
        log = []
        setup = Client(nodes[0].url, token(nodes[0].url, "alice@acme.test", accounts["alice@acme.test"]), [], lock)
        old = []
        for i in range(4):
            s, b = setup.call("POST", "/api/v1/tickets", {
                "subject": f"Closed long ago {i}", "priority": "normal",
                "description": "Kept for the archiving check."}, base=nodes[0].url)
            assert s == 201, (s, b)
            old.append(json.loads(b)["ticket"]["id"])
        psql(args.db_url, "UPDATE tickets SET status = 'closed', closed_at = now() - interval '30 days' "
                          f"WHERE id IN ({','.join(map(str, old))})")
        for n in nodes[1:]:
            n.start()
        for n in nodes[1:]:
            n.wait_ready()
        cfg = os.path.join(root, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(haproxy_config(lb_port, nodes))
        haproxy = subprocess.Popen(["haproxy", "-f", cfg, "-db"], stdout=subprocess.DEVNULL,
                                   stderr=open(os.path.join(root, "haproxy.log"), "w"))
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        tokens = {e: token(base, e, p) for e, p in accounts.items()}
        member, contact, staff = tokens["bob@acme.test"], tokens["alice@acme.test"], tokens["staff@parley.test"]

        acked = {"topics": [], "posts": [], "tickets": [], "attachments": [], "notes": 0, "votes": set()}
        stop_at = time.time() + args.seconds
        kill_at = time.time() + args.seconds * 0.35
        restart_at = time.time() + args.seconds * 0.6
        events = {}

        def member_work(wid):
            c = Client(base, member if wid % 2 else contact, log, lock)
            n = 0
            while time.time() < stop_at:
                n += 1
                word = f"zq{wid}w{n}x{random.randrange(10**6)}"
                s, b = c.call("POST", "/api/v1/topics", {
                    "category": "questions", "title": f"Export stalls with code {word}",
                    "body": f"The nightly export stops at 40% with {word} in the log."})
                if s == 201:
                    t = json.loads(b)
                    with lock:
                        acked["topics"].append((t["topic"]["id"], word))
                    s, b = c.call("POST", f"/api/v1/topics/{t['topic']['id']}/posts",
                                  {"body": f"Same here, seen {word}r twice."})
                    if s == 201:
                        with lock:
                            acked["posts"].append((json.loads(b)["id"], word + "r"))
                c.call("GET", f"/api/v1/search?q=export+{word}")
                with lock:
                    others = [p[0] for p in acked["posts"]]
                if others:
                    voted = random.choice(others)
                    s, _ = Client(base, staff, log, lock).call(
                        "PUT", f"/api/v1/posts/{voted}/vote", {"value": 1})
                    if s == 200:
                        with lock:
                            acked["votes"].add(voted)

        def contact_work(wid):
            c = Client(base, contact, log, lock)
            n = 0
            while time.time() < stop_at:
                n += 1
                s, b = c.call("POST", "/api/v1/tickets", {
                    "subject": f"Import fails on node test {wid}-{n}", "priority": "high",
                    "description": "The importer stops after the first file."})
                if s != 201:
                    continue
                tid = json.loads(b)["ticket"]["id"]
                with lock:
                    acked["tickets"].append(tid)
                data = f"log of ticket {tid}\n".encode() * random.randrange(100, 5000)
                raw, ctype = multipart("files", f"log-{tid}.txt", data)
                s, b = c.call("POST", f"/api/v1/tickets/{tid}/attachments", raw=raw, content_type=ctype)
                if s in (200, 201):
                    for a in json.loads(b).get("attachments", []):
                        if a.get("filename") == f"log-{tid}.txt":
                            with lock:
                                acked["attachments"].append((tid, a["id"], hashlib.sha256(data).hexdigest()))

        def staff_work(wid):
            c = Client(base, staff, log, lock)
            while time.time() < stop_at:
                with lock:
                    tickets = list(acked["tickets"])
                if not tickets:
                    time.sleep(0.05)
                    continue
                s, _ = c.call("POST", f"/api/v1/tickets/{random.choice(tickets)}/notes",
                              {"body": "Looking at it now.", "internal": random.random() < 0.5})
                if s in (200, 201):
                    with lock:
                        acked["notes"] += 1
                c.call("GET", "/api/v1/tickets")

        def chaos():
            time.sleep(max(0, kill_at - time.time()))
            events["kill"] = time.time()
            nodes[1].kill9()
            # The kernel lets go of the process's sockets only once it is gone.
            events["dead"] = time.time()
            time.sleep(max(0, restart_at - time.time()))
            events["restart"] = time.time()
            nodes[1].start()
            nodes[1].wait_ready()
            events["back"] = time.time()

        roles = [member_work] * (args.workers // 2) + [contact_work] * (args.workers // 4)
        roles += [staff_work] * (args.workers - len(roles))
        threads = [threading.Thread(target=f, args=(i,)) for i, f in enumerate(roles)]
        threads.append(threading.Thread(target=chaos))
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started

        # What the clients saw.
        total = len(log)
        bad = [e for e in log if e[4] >= 500 or e[4] == 0]
        print(f"requests {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s) through the balancer; "
              f"topics {len(acked['topics'])}, replies {len(acked['posts'])}, votes {len(acked['votes'])}, "
              f"tickets {len(acked['tickets'])}, attachments {len(acked['attachments'])}, notes {acked['notes']}")
        by_node = {}
        for e in log:
            by_node[str(e[5])] = by_node.get(str(e[5]), 0) + 1
        print(f"served by node: {json.dumps(by_node, sort_keys=True)}; n2 killed at "
              f"{events['kill'] - started:.1f} s (gone {(events['dead'] - events['kill']) * 1000:.0f} ms later), started again at {events['restart'] - started:.1f} s, "
              f"ready at {events['back'] - started:.1f} s")
        # Only requests that were in flight on the killed node while it died may fail:
        # started before it was gone, ended after the signal.
        in_flight = [e for e in bad if e[0] <= events["dead"] and e[1] >= events["kill"]]
        check(len(bad) == len(in_flight),
              f"no 5xx or broken connection but requests in flight on the killed node "
              f"({len(bad)} failed, {len(in_flight)} of them in flight at the kill: "
              f"{[(e[2], e[3], e[4], round(e[0] - events['kill'], 3), round(e[1] - events['kill'], 3)) for e in bad][:8]})")
        check(len(bad) <= args.workers, f"at most one failure per client ({len(bad)})")
        check(by_node.get("n2", 0) > 0 and any(e[5] == "n2" and e[0] > events["back"] for e in log),
              "the restarted node serves again")

        # A write through one node shows on the others: a category's description changed
        # on n1, read on n2 and n3 (what they keep in memory is read again once they hear
        # of the write).
        admin = Client(base, tokens["admin@parley.test"], [], lock)
        delays = []
        for i in range(20):
            # At a random moment: otherwise each change would follow the last read that
            # saw the one before, in step with that node's looks, and always wait a whole
            # look for the next.
            time.sleep(random.uniform(0, 0.25))
            text = f"Ask anything; measured {i}-{random.randrange(10**9)}"
            s, _ = admin.call("PATCH", "/api/v1/categories/questions", {"description": text}, base=nodes[0].url)
            assert s == 200, s
            written = time.time()
            for other in nodes[1:]:
                while True:
                    s, b = admin.call("GET", "/api/v1/categories", base=other.url)
                    if text.encode() in b:
                        delays.append(time.time() - written)
                        break
                    if time.time() - written > 5:
                        delays.append(float("inf"))
                        break
                    time.sleep(0.005)
        delays.sort()
        print(f"a write on n1 seen on n2 and n3 after: median {delays[len(delays) // 2] * 1000:.0f} ms, "
              f"slowest {delays[-1] * 1000:.0f} ms ({len(delays)} reads)")
        check(delays[-1] < 1.0, "a write on one node shows on every other within a second")

        rss = {}
        for n in nodes:
            with open(f"/proc/{n.proc.pid}/status") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            rss[n.name] = f"{kb / 1024:.0f} MiB"
        print(f"resident memory after the run: {rss}")

        # Every node applies every change to its own index.
        deadline = time.time() + 60
        lags = {}
        while time.time() < deadline:
            for n in nodes:
                with urllib.request.urlopen(n.url + "/readyz", timeout=5) as r:
                    lags[n.name] = json.load(r).get("search_lag", {}).get("changes")
            if all(v == 0 for v in lags.values()):
                break
            time.sleep(0.5)
        check(all(v == 0 for v in lags.values()), f"every node's search replica caught up {lags}")

        reader = Client(base, staff, [], lock)
        topics = acked["topics"]
        for n in nodes:
            missing = [tid for tid, _ in topics
                       if reader.call("GET", f"/api/v1/topics/{tid}", base=n.url)[0] != 200]
            check(not missing, f"{n.name}: every acknowledged topic is there ({len(topics)}; missing {missing[:5]})")
            unfound = []
            for tid, word in topics:
                s, b = reader.call("GET", f"/api/v1/search?q={word}", base=n.url)
                ids = [h.get("topic_id") for h in json.loads(b).get("hits", [])] if s == 200 else []
                if tid not in ids:
                    unfound.append(tid)
            check(not unfound, f"{n.name}: every acknowledged topic is found by search (unfound {unfound[:5]})")
            unfound = []
            for pid, word in acked["posts"]:
                s, b = reader.call("GET", f"/api/v1/search?q={word}", base=n.url)
                ids = [h.get("post_id") for h in json.loads(b).get("hits", [])] if s == 200 else []
                if pid not in ids:
                    unfound.append(pid)
            check(not unfound, f"{n.name}: every acknowledged reply is found by search "
                               f"({len(acked['posts'])}; unfound {unfound[:5]})")
            broken = []
            for tid, aid, sha in acked["attachments"]:
                s, b = reader.call("GET", f"/api/v1/tickets/{tid}/attachments/{aid}", base=n.url)
                if s != 200 or hashlib.sha256(b).hexdigest() != sha:
                    broken.append((tid, aid, s))
            check(not broken, f"{n.name}: every attachment downloads whole "
                              f"({len(acked['attachments'])}; broken {broken[:5]})")
        if acked["posts"]:
            ids = ",".join(str(p[0]) for p in acked["posts"])
            found = psql(args.db_url, f"SELECT count(*) FROM posts WHERE id IN ({ids})")
            check(int(found[0][0]) == len(acked["posts"]), "every acknowledged reply is stored")
        if acked["votes"]:
            ids = ",".join(map(str, acked["votes"]))
            found = psql(args.db_url, f"SELECT count(DISTINCT post_id) FROM post_votes WHERE post_id IN ({ids})")
            check(int(found[0][0]) == len(acked["votes"]), f"every acknowledged vote is stored ({len(acked['votes'])})")
        if acked["tickets"]:
            found = psql(args.db_url, f"SELECT count(*) FROM tickets WHERE id IN ({','.join(map(str, acked['tickets']))})")
            check(int(found[0][0]) == len(acked["tickets"]), "every acknowledged ticket is stored")
        notes = psql(args.db_url, "SELECT count(*) FROM ticket_events WHERE kind = 'note'")
        check(int(notes[0][0]) >= acked["notes"], f"every acknowledged note is stored ({notes[0][0]} >= {acked['notes']})")

        # Jobs: each old ticket archived once, by whichever node took the round.
        archived = psql(args.db_url, "SELECT ticket_id, count(*) FROM ticket_events WHERE to_value = 'archived' "
                                     f"AND ticket_id IN ({','.join(map(str, old))}) GROUP BY ticket_id")
        check(sorted(int(r[1]) for r in archived) == [1] * len(old),
              f"each of {len(old)} old tickets archived exactly once ({archived})")

        # Mail: every queued message went out, once, from one node or another.
        deadline = time.time() + 90
        while time.time() < deadline:
            left = int(psql(args.db_url, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent'")[0][0])
            if left == 0:
                break
            time.sleep(1)
        queued = {r[0] for r in psql(args.db_url, "SELECT message_id FROM mail_outbox")}
        sent = []
        per_node = {}
        for n in nodes:
            mail_dir = os.path.join(n.dir, "mail")
            names = os.listdir(mail_dir) if os.path.isdir(mail_dir) else []
            per_node[n.name] = len(names)
            for name in names:
                with open(os.path.join(mail_dir, name), errors="replace") as f:
                    m = re.search(r"^Message-ID:\s*(\S+)", f.read(), re.M | re.I)
                    if m:
                        sent.append(m.group(1))
        dupes = len(sent) - len(set(sent))
        check(left == 0, f"the outbox is empty ({left} left)")
        check(set(sent) == queued and dupes == 0,
              f"each of {len(queued)} queued messages went out exactly once "
              f"({len(sent)} written, {dupes} twice; by node {per_node})")
    finally:
        for n in nodes:
            n.stop()
        if haproxy:
            haproxy.terminate()
            haproxy.wait()
        if os.environ.get("PARLEY_TEST_KEEP") != "1":
            subprocess.run(["rm", "-rf", root])
        else:
            print(f"kept {root}")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("the cluster held")


if __name__ == "__main__":
    main()
