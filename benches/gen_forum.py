#!/usr/bin/env python3
"""Writes a synthetic forum as JSON lines for `parley import`: USERS users, then topics
with their replies until POSTS posts in all. The first topic has 60 replies (a full
topic page of 50 and a second page). Words come from a small product vocabulary and a Zipf-distributed tail of invented
words. Deterministic for a given seed.

Usage: benches/gen_forum.py POSTS [USERS] > forum.jsonl
"""
import json
import random
import sys

posts_total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
users_total = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(42)
words = ("agent api backup cache cluster config dashboard deploy error export import index "
         "install latency license log memory migrate monitor network node password proxy queue "
         "release report restart schema search server session ssl storage sync timeout token "
         "upgrade upload user version widget worker").split()
# Beside the product words, a long tail of rarer words drawn by a Zipf law (about how
# words spread in real text), so that searches meet posting lists of every length.
syllables = "ba ce di fo gu ka le mi no pu ra se ti vo zu ther ing ent ion al".split()
tail = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(12000)})
rng.shuffle(tail)
cum_weights = list(__import__("itertools").accumulate(1.0 / (r + 1) ** 1.07 for r in range(len(tail))))
codes = ["ERR-1042", "ERR-2210", "0x80004005", "HTTP 502", "E_TIMEOUT"]
versions = ["4.1.0", "4.2.0", "4.2.1", "4.2.2", "5.0.0"]
categories = ["questions"] * 6 + ["knowledge"] * 2 + ["ideas"] * 2
out = sys.stdout
w = out.write


def word():
    return rng.choice(words) if rng.random() < 0.3 else rng.choices(tail, cum_weights=cum_weights)[0]


def sentence():
    n = rng.randint(6, 16)
    s = " ".join(word() for _ in range(n))
    if rng.random() < 0.2:
        s += f" ({rng.choice(codes)} on {rng.choice(versions)})"
    return s.capitalize() + "."


def body():
    parts = [" ".join(sentence() for _ in range(rng.randint(1, 4)))]
    if rng.random() < 0.15:
        parts.append("```\n" + " ".join(rng.choice(words) for _ in range(8)) + "\n```")
    if rng.random() < 0.15:
        parts.append("- " + sentence() + "\n- " + sentence())
    return "\n\n".join(parts)


for u in range(users_total):
    role = "staff" if u < 10 else "member"
    w(json.dumps({"type": "user", "email": f"user{u}@customer{u % 50}.test", "name": f"User {u}",
                  "role": role, "organization": f"Customer {u % 50}"}) + "\n")

written = 0
topic = 0
while written < posts_total:
    replies = 60 if topic == 0 else min(rng.randint(0, 38), posts_total - written - 1)
    author = rng.randrange(users_total)
    title = f"{rng.choice(words).capitalize()} {word()} {rng.choice(words)} {word()} after {rng.choice(versions)} #{topic}"
    w(json.dumps({"type": "topic", "id": f"t{topic}", "category": categories[topic % len(categories)],
                  "title": title, "body": body(), "author": f"user{author}@customer{author % 50}.test",
                  "tags": rng.sample(words, 2)}) + "\n")
    written += 1
    for _ in range(replies):
        a = rng.randrange(users_total)
        w(json.dumps({"type": "post", "topic": f"t{topic}", "author": f"user{a}@customer{a % 50}.test",
                      "body": body()}) + "\n")
        written += 1
    topic += 1
