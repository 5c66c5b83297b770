#!/usr/bin/env python3
"""Relevance of Parley's search, beside two baselines, on a labelled set of questions.

Imports the corpus (``fetch.sh`` makes it) into a scratch Parley through ``parley
import``, serves it, and asks every question of:

- suggest: what the ask-a-question and new-ticket forms show while people type;
- search: the search page and API;
- similar: the "similar topics" of a topic page, for the question posted as a topic;
- SQLite FTS5 bm25 over title, question and accepted answer (title weighted), words OR-ed;
- PostgreSQL full-text search over the same fields (weights A, B, C), words OR-ed.

For each it prints R@1, R@5 and MRR@10 over the answerable questions, and how many of
the questions that nothing answers get an empty list. Standard library only; the
PostgreSQL baseline runs through ``psql`` and is skipped when no server answers.

    benches/relevance/run.py [--set questions.jsonl] [--bin target/release/parley]
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PASSWORD = "relevance bench password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Parley:
    """A scratch Parley with the corpus imported, served on a free port."""

    def __init__(self, binary, corpus):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="parley-relevance-")
        self.env = dict(os.environ, PARLEY_DATA_DIR=self.dir, RUST_LOG="warn")
        self.env.pop("DATABASE_URL", None)
        self.run("migrate")
        # Authors the corpus names without a user line (the demo's threads) are made
        # first, so that every thread is imported.
        records = read_jsonl(corpus)
        known = {r["email"] for r in records if r.get("type") == "user"}
        authors = sorted({r["author"] for r in records if r.get("author")} - known)
        users = "".join(json.dumps({"type": "user", "email": a, "name": a.split("@")[0].title(),
                                    "role": "member"}) + "\n" for a in authors)
        with open(corpus, "rb") as f:
            self.run("import", "-", input=users.encode() + f.read())
        self.run(
            "user", "create", "--email", "reader@acme.test", "--name", "Bench Reader",
            "--role", "member", input=PASSWORD.encode(),
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = subprocess.Popen(
            [binary, "--bind", f"127.0.0.1:{self.port}", "--rate-limits=off", "--send-mail=off"],
            env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(tempfile.gettempdir(), "parley-relevance-server.log"), "wb"),
        )
        self.token = None
        for _ in range(600):
            try:
                self.token = self.call("POST", "/api/v1/auth/token",
                                       {"email": "reader@acme.test", "password": PASSWORD})["token"]
                break
            except (urllib.error.URLError, ConnectionError, KeyError):
                time.sleep(0.1)
        if not self.token:
            raise SystemExit("the server did not start")

    def run(self, *args, stdin=None, input=None):
        subprocess.run([self.binary, *args], env=self.env, stdin=stdin, input=input,
                       stdout=subprocess.DEVNULL, check=True)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=30) as res:
            raw = res.read()
            return json.loads(raw) if raw else None

    def page(self, path):
        """A page as the signed-in reader sees it (pages take the session cookie)."""
        if not hasattr(self, "browser"):
            import http.cookiejar
            import re
            self.browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            login = self.browser.open(self.base + "/login", timeout=30).read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
            form = urllib.parse.urlencode({"email": "reader@acme.test", "password": PASSWORD,
                                           "csrf_token": token}).encode()
            self.browser.open(self.base + "/login", data=form, timeout=30).read()
        with self.browser.open(self.base + path, timeout=30) as res:
            return res.read().decode()

    def wait_indexed(self, probe):
        # With a model (PARLEY_EMBEDDING_MODEL), every thread is embedded first.
        for _ in range(36000):
            with urllib.request.urlopen(self.base + "/readyz", timeout=30) as res:
                if json.loads(res.read()).get("meaning", {}).get("state") != "loading":
                    break
            time.sleep(0.1)
        for _ in range(600):
            try:
                hits = self.call("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": probe}))
                if hits.get("total", 0) > 0:
                    return
            except urllib.error.HTTPError as e:
                if e.code != 503:  # 503: the index is still being built
                    raise
            time.sleep(0.2)
        raise SystemExit("the search index was not built")

    def topic_ids(self):
        """Parley's topic ids in import order, read from its database."""
        import sqlite3
        db = sqlite3.connect(os.path.join(self.dir, "parley.db"))
        return db.execute("SELECT id, title FROM topics ORDER BY id").fetchall()

    def close(self):
        self.server.terminate()
        self.server.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def corpus_threads(corpus):
    """(external id, title, question, accepted answer) of every topic."""
    threads, by_id = [], {}
    for rec in read_jsonl(corpus):
        if rec.get("type") == "topic":
            t = {"id": rec["id"], "title": rec["title"], "body": rec["body"], "answer": ""}
            threads.append(t)
            by_id[rec["id"]] = t
        elif rec.get("type") == "post" and rec.get("accepted") and rec["topic"] in by_id:
            by_id[rec["topic"]]["answer"] = rec["body"]
    return threads


def align(threads, rows):
    """Maps Parley topic ids to external ids, walking both in import order."""
    norm = lambda s: " ".join(s.split())
    mapping, i = {}, 0
    for topic_id, title in rows:
        while i < len(threads) and norm(threads[i]["title"]) != norm(title):
            i += 1
        if i == len(threads):
            break
        mapping[topic_id] = threads[i]["id"]
        i += 1
    return mapping


def words(text):
    out, cur = [], []
    for ch in text.lower():
        if ch.isalnum():
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


class Fts5:
    def __init__(self, threads):
        import sqlite3
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE t USING fts5(ext UNINDEXED, title, body, answer, tokenize='porter')")
        self.db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                            [(t["id"], t["title"], t["body"], t["answer"]) for t in threads])

    def ask(self, q):
        terms = sorted(set(words(q)))
        if not terms:
            return []
        match = " OR ".join('"%s"' % w for w in terms)
        rows = self.db.execute(
            "SELECT ext FROM t WHERE t MATCH ? ORDER BY bm25(t, 0.0, 10.0, 1.0, 1.0) LIMIT 10",
            (match,)).fetchall()
        return [r[0] for r in rows]


class Postgres:
    def __init__(self, threads, url):
        self.url = url
        self.name = f"parley_relevance_{os.getpid()}"
        self.sql(f"CREATE DATABASE {self.name}", db=url)
        self.db = url.rsplit("/", 1)[0] + "/" + self.name
        self.sql("CREATE TABLE t (ext text, title text, body text, answer text, doc tsvector)")
        rows = "".join(
            "\t".join(esc(x) for x in (t["id"], t["title"], t["body"], t["answer"])) + "\n"
            for t in threads)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.db, "-c",
                        "COPY t (ext, title, body, answer) FROM STDIN"],
                       input=rows.encode(), check=True, stdout=subprocess.DEVNULL)
        self.sql("UPDATE t SET doc = setweight(to_tsvector('english', title), 'A')"
                 " || setweight(to_tsvector('english', body), 'B')"
                 " || setweight(to_tsvector('english', answer), 'C');"
                 "CREATE INDEX ON t USING gin (doc)")

    def sql(self, statement, db=None):
        return subprocess.run(["psql", "-qAt", "-v", "ON_ERROR_STOP=1", db or self.db, "-c", statement],
                              check=True, capture_output=True).stdout.decode()

    def ask(self, q):
        lit = q.replace("'", "''")
        out = self.sql(
            "WITH q AS (SELECT NULLIF(array_to_string(tsvector_to_array(to_tsvector('english', "
            f"'{lit}')), ' | '), '')::tsquery AS q) "
            "SELECT ext FROM t, q WHERE q.q IS NOT NULL AND doc @@ q.q "
            "ORDER BY ts_rank_cd(doc, q.q) DESC LIMIT 10")
        return [line for line in out.splitlines() if line]

    def close(self):
        self.sql(f"DROP DATABASE IF EXISTS {self.name}", db=self.url)


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def pg_available(url):
    if not shutil.which("psql"):
        return False
    return subprocess.run(["psql", "-qAt", url, "-c", "SELECT 1"], capture_output=True).returncode == 0


class Score:
    def __init__(self, name):
        self.name, self.n, self.r1, self.r5, self.mrr = name, 0, 0, 0, 0.0
        self.none_n, self.none_ok, self.seconds = 0, 0, 0.0
        self.misses = []

    def add(self, question, answers, got, seconds):
        self.seconds += seconds
        if not answers:
            self.none_n += 1
            self.none_ok += not got
            return
        self.n += 1
        ranks = [i for i, g in enumerate(got[:10]) if g in answers]
        if ranks:
            self.mrr += 1.0 / (ranks[0] + 1)
            self.r1 += ranks[0] == 0
            self.r5 += ranks[0] < 5
        if not ranks or ranks[0] >= 5:
            self.misses.append((question, answers, got[:3]))

    def row(self):
        n = max(self.n, 1)
        total = self.n + self.none_n
        return (f"| {self.name} | {self.r5 / n:.2f} | {self.r1 / n:.2f} | {self.mrr / n:.2f} | "
                f"{self.none_ok} of {self.none_n} | {1000 * self.seconds / max(total, 1):.1f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default=os.path.join(HERE, "questions.jsonl"))
    ap.add_argument("--corpus", default=os.path.join(HERE, ".cache", "corpus.jsonl"))
    ap.add_argument("--bin", default=None)
    ap.add_argument("--pg-url", default=os.environ.get("PARLEY_TEST_PG_URL",
                                                      "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--no-similar", action="store_true", help="skip the topic-page pass")
    ap.add_argument("--misses", type=int, default=0, help="print this many misses of each system")
    ap.add_argument("--dump", help="write each question's uncut suggestions and shares to this file")
    args = ap.parse_args()
    binary = args.bin or next(
        (p for p in (os.path.join(ROOT, "target", "release", "parley"),
                     os.path.join(ROOT, "target", "debug", "parley")) if os.path.exists(p)), None)
    if not binary:
        raise SystemExit("build Parley first: cargo build --release")
    if not os.path.exists(args.corpus):
        raise SystemExit(f"{args.corpus} is missing: run benches/relevance/fetch.sh")
    questions = read_jsonl(args.set)
    threads = corpus_threads(args.corpus)
    print(f"{len(threads)} threads; {args.set}: {sum(1 for q in questions if q['answers'])} answerable, "
          f"{sum(1 for q in questions if not q['answers'])} answered by nothing; {binary}")

    systems = {}
    parley = Parley(binary, args.corpus)
    try:
        ids = align(threads, parley.topic_ids())
        parley.wait_indexed(threads[0]["title"])
        ext = lambda topic_ids: [ids[t] for t in topic_ids if t in ids]

        def suggest(q):
            found = parley.call("GET", "/api/v1/search/suggest?" + urllib.parse.urlencode({"q": q}))
            return ext([s["topic_id"] for s in found])

        def searched(q, answers):
            # The search box takes 200 characters, as the API does. The page reads top
            # down: the threads that may answer, then the posts.
            found = parley.call("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": q[:200]}))
            seen = [a["topic_id"] for a in found.get("answers", [])] if answers else []
            for h in found.get("hits", []):
                if h["topic_id"] not in seen:
                    seen.append(h["topic_id"])
            return ext(seen)

        search = lambda q: searched(q, True)
        search_posts = lambda q: searched(q, False)

        raw = {}

        def suggest_all(q):
            found = parley.call("GET", "/api/v1/search/suggest?" + urllib.parse.urlencode({"q": q, "all": "true"}))
            raw[q] = [(ids.get(s["topic_id"]), s["share"], s["score"], s.get("cosine"), s["fit"],
                       s.get("typical")) for s in found]
            return ext([s["topic_id"] for s in found])

        systems["Parley suggest (ask and ticket forms)"] = suggest
        systems["Parley suggest, no cut"] = suggest_all
        systems["Parley search API"] = search
        systems["Parley search API, posts alone"] = search_posts
        systems["SQLite FTS5 bm25, title x10, words OR-ed"] = Fts5(threads).ask
        pg = None
        if pg_available(args.pg_url):
            pg = Postgres(threads, args.pg_url)
            systems["PostgreSQL FTS, weights A/B/C, words OR-ed"] = pg.ask
        else:
            print(f"(no PostgreSQL at {args.pg_url}: its baseline is left out)")
        scores = {name: Score(name) for name in systems}
        for item in questions:
            for name, ask in systems.items():
                start = time.perf_counter()
                got = ask(item["q"])
                scores[name].add(item["q"], item["answers"], got, time.perf_counter() - start)
        if not args.no_similar:
            scores["Parley similar topics (topic page)"] = similar_pass(parley, questions, ids)
        if pg:
            pg.close()
    finally:
        parley.close()

    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            json.dump([{"q": q["q"], "answers": q["answers"], "shown": raw.get(q["q"], [])} for q in questions], f)
    print()
    by_meaning = any(c is not None for found in raw.values() for _, _, _, c, _, _ in found)
    if by_meaning:
        # With meaning the forms show threads when the first one's fit (cosine, plus 0.1
        # times its title's cosine, plus 0.4 times the share) less half the question's
        # typical cosine with the forum clears the cut, then leave out fits under 0.4.
        print("The cut, from the uncut suggestions: shown when the first thread's fit, less half the "
              "question's typical cosine, is at least")
        cuts = (0.0, 0.55, 0.575, 0.6, 0.625, 0.65, 0.7)
        keep = lambda t, cut: t[4] >= 0.4 or cut == 0.0
        best = lambda found: found[0][4] - 0.5 * (found[0][5] or 0.0) if found else 0.0
    else:
        print("The cut, from the uncut suggestions: shown when one of the first five holds at least "
              "this share of the question (then threads under 0.2 are left out)")
        cuts = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
        keep = lambda t, cut: t[1] >= 0.2 or cut == 0.0
        best = lambda found: max((t[1] for t in found[:5]), default=0.0)
    print("| cut | top 5 | top 1 | nothing answers: shows nothing |")
    print("| --- | --- | --- | --- |")
    for cut in cuts:
        r5 = r1 = n = silent = none = 0
        for item in questions:
            found = raw.get(item["q"], [])
            shown = [t[0] for t in found if keep(t, cut)]
            if best(found) < cut:
                shown = []
            if item["answers"]:
                n += 1
                r5 += any(t in item["answers"] for t in shown[:5])
                r1 += bool(shown) and shown[0] in item["answers"]
            else:
                none += 1
                silent += not shown
        print(f"| {cut:.3f} | {r5 / max(n, 1):.2f} | {r1 / max(n, 1):.2f} | {silent} of {none} |")
    print()
    print("| system | right thread in top 5 | top 1 | MRR@10 | nothing answers: shows nothing | ms per question |")
    print("| --- | --- | --- | --- | --- | --- |")
    for s in scores.values():
        print(s.row())
    if args.misses:
        for s in scores.values():
            print(f"\n{s.name}: first {args.misses} misses")
            for q, answers, got in s.misses[: args.misses]:
                print(f"  {q!r}\n    wanted {answers}, got {got}")


def similar_pass(parley, questions, ids):
    """Posts each question as a topic, reads its page's similar topics, deletes it."""
    import re
    score = Score("Parley similar topics (topic page)")
    mine = set()
    for item in questions:
        title = " ".join(item["q"].split())[:150]
        if len(title) < 5:
            title = (title + " ?????")[:5]
        start = time.perf_counter()
        made = parley.call("POST", "/api/v1/topics",
                           {"category": "questions", "title": title, "body": item["q"] + "\n"})
        tid = made["topic"]["id"]
        mine.add(tid)
        import html as entities
        html = entities.unescape(parley.page(f"/t/{tid}"))
        block = html.split('class="card similar"', 1)
        found = []
        if len(block) == 2:
            for m in re.finditer(r'href="/t/(\d+)/', block[1].split("</section>", 1)[0]):
                t = int(m.group(1))
                if t not in mine and t in ids:
                    found.append(ids[t])
        parley.call("DELETE", f"/api/v1/topics/{tid}")
        score.add(item["q"], item["answers"], found, time.perf_counter() - start)
    return score


if __name__ == "__main__":
    sys.exit(main())
