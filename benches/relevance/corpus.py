#!/usr/bin/env python3
"""Turns the FAQ documents shipped in three Debian packages into JSON lines for
`parley import`: the users first, then for every question a topic (the question, as an
asker would post it) followed by its accepted answer (the FAQ's answer as markdown).

Sources, found under ROOT (where the packages were extracted):
  perlfaq   usr/share/perl/5.*/pod/perlfaq[1-9].pod          (POD)
  pyfaq     usr/share/doc/python3.*/html/_sources/faq/*.rst.txt (reStructuredText)
  debfaq    usr/share/doc/debian/FAQ/*.en.html                (DocBook XHTML)

Usage: corpus.py ROOT OUT.jsonl
Standard library only; the output depends only on the input files.
"""
import glob
import html
import html.parser
import json
import os
import re
import sys
import textwrap

MAX_ANSWER = 60_000  # bytes of UTF-8; Parley refuses posts over 64 KiB
ASKER = "asker@faq.example"

SOURCES = {
    "perlfaq": {"email": "perlfaq@faq.example", "name": "Perl FAQ", "tag": "perlfaq"},
    "pyfaq": {"email": "pyfaq@faq.example", "name": "Python FAQ", "tag": "python-faq"},
    "debfaq": {"email": "debianfaq@faq.example", "name": "Debian FAQ", "tag": "debian-faq"},
}


# ---------------------------------------------------------------- shared helpers


def slug(text, limit=72):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("++", "pp")).strip("-")
    if len(s) > limit:
        s = s[:limit]
        s = s[: s.rfind("-")] if "-" in s else s
    return s or "untitled"


def code_span(text):
    """Markdown inline code for `text`, whatever backticks it holds."""
    text = re.sub(r"\s+", " ", text)
    runs = [len(r) for r in re.findall(r"`+", text)]
    ticks = "`" * (max(runs) + 1 if runs else 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(code, lang=""):
    code = code.rstrip("\n")
    runs = [len(r) for r in re.findall(r"^\s*(`{3,})", code, re.M)]
    ticks = "`" * max([3] + [n + 1 for n in runs])
    return f"{ticks}{lang}\n{code}\n{ticks}"


def escape_text(text):
    """Escapes a block marker (heading, quote, list, rule) at the start of a paragraph,
    which markdown would otherwise take for structure."""
    return re.sub(r"^(\s*)(#|>|[-+*](?=\s)|\d+[.)](?=\s)|=+\s*$|-{3,}\s*$)", r"\1\\\2", text)


def tidy(markdown):
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return markdown.strip("\n") + "\n"


def cap(markdown):
    """Keeps an answer whole unless it is over MAX_ANSWER, then cuts it at a paragraph
    that is not inside a code block."""
    if len(markdown.encode()) <= MAX_ANSWER:
        return markdown, False
    note = "\n\n*(The rest of this answer was cut for length.)*\n"
    budget = MAX_ANSWER - len(note.encode())
    cut, in_code, pos = 0, False, 0
    for line in markdown.split("\n"):
        end = pos + len(line) + 1
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if len(markdown[:pos].encode()) > budget:
            break
        if not line.strip() and not in_code:
            cut = pos
        pos = end
    return markdown[:cut].rstrip() + note, True


# ---------------------------------------------------------------- POD (perlfaq)


def pod_code_extent(s, i):
    """For a formatting code starting at s[i] (a capital letter before '<'), returns
    (start of content, end of content, index after the code), or None if unclosed."""
    j = i + 1
    n = 0
    while j < len(s) and s[j] == "<":
        n += 1
        j += 1
    if n >= 2 and j < len(s) and s[j].isspace():
        m = re.compile(r"\s" + ">" * n).search(s, j)
        if m:
            return j, m.start(), m.end()
        return None
    k = i + 2
    while k < len(s):
        if s[k].isupper() and k + 1 < len(s) and s[k + 1] == "<":
            ext = pod_code_extent(s, k)
            if ext:
                k = ext[2]
                continue
        if s[k] == ">":
            return i + 2, k, k + 1
        k += 1
    return None


def pod_escape(name):
    named = {"lt": "<", "gt": ">", "verbar": "|", "sol": "/"}
    if name in named:
        return named[name]
    if re.fullmatch(r"0x[0-9a-fA-F]+", name):
        return chr(int(name, 16))
    if re.fullmatch(r"0[0-7]*", name):
        return chr(int(name, 8)) if name != "0" else ""
    if name.isdigit():
        return chr(int(name))
    out = html.unescape(f"&{name};")
    return out if not out.startswith("&") else name


def pod_plain(s):
    """The text of POD inline markup, codes dropped (for code spans and titles)."""
    out = []
    i = 0
    while i < len(s):
        if s[i].isupper() and i + 1 < len(s) and s[i + 1] == "<":
            ext = pod_code_extent(s, i)
            if ext:
                a, b, nxt = ext
                code, inner = s[i], s[a:b]
                if code == "E":
                    out.append(pod_escape(inner.strip()))
                elif code in "XZ":
                    pass
                elif code == "L":
                    out.append(pod_link(inner, plain=True))
                else:
                    out.append(pod_plain(inner))
                i = nxt
                continue
        out.append(s[i])
        i += 1
    return "".join(out)


def split_link(inner):
    """Splits L<text|target> on the first '|' outside nested codes."""
    depth = 0
    for k, ch in enumerate(inner):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "|" and depth == 0:
            return inner[:k], inner[k + 1:]
    return None, inner


def pod_link(inner, plain=False):
    text, target = split_link(inner)
    target = pod_plain(target).strip()
    shown = (pod_plain(text) if plain else pod_inline(text)).strip() if text is not None else None
    if re.match(r"[a-z][a-z0-9+.-]*:[^:\s]", target):  # a URL
        if shown and shown != target:
            return f"{shown} ({target})"
        return target
    if shown:
        return shown
    name, _, section = target.partition("/")
    section = section.strip().strip('"')
    if section and name:
        return f'"{section}" in {name}'
    if section:
        return f'"{section}"'
    return name


def pod_inline(s):
    """POD inline markup to markdown."""
    out = []
    plain = []

    def flush():
        if plain:
            out.append(escape_text_inline("".join(plain)))
            plain.clear()

    i = 0
    while i < len(s):
        if s[i].isupper() and i + 1 < len(s) and s[i + 1] == "<":
            ext = pod_code_extent(s, i)
            if ext:
                a, b, nxt = ext
                code, inner = s[i], s[a:b]
                if code == "E":
                    plain.append(pod_escape(inner.strip()))
                elif code in "XZ":
                    pass
                else:
                    flush()
                    if code in "CF":
                        text = pod_plain(inner)
                        out.append(code_span(text) if text.strip() else text)
                    elif code == "B":
                        out.append(f"**{pod_inline(inner).strip()}**")
                    elif code == "I":
                        out.append(f"*{pod_inline(inner).strip()}*")
                    elif code == "L":
                        out.append(pod_link(inner))
                    else:  # S and unknown codes: their text
                        out.append(pod_inline(inner))
                i = nxt
                continue
        plain.append(s[i])
        i += 1
    flush()
    return "".join(out)


def escape_text_inline(text):
    """Escapes, in running text outside code, what markdown would take for an HTML tag
    or an autolink (`<STDIN>`, `<foo@bar>`)."""
    return re.sub(r"<(?=[A-Za-z/!?$@%&*])", r"\\<", text)


def pod_paragraphs(text):
    """Splits POD into paragraphs (separated by lines holding only whitespace)."""
    paras, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            paras.append(cur)
            cur = []
    if cur:
        paras.append(cur)
    return paras


def pod_to_markdown(paras):
    """Renders a run of POD paragraphs (no =head commands) as markdown."""
    blocks = []  # (indent, text)
    stack = []  # open =over lists: items seen, item number, marker width
    verbatim = []
    marker = []  # an item marker with no text of its own: it goes before the next paragraph

    def indent():
        return "".join(" " * lst["width"] for lst in stack if lst.get("item"))

    def flush_marker():
        if marker:
            blocks.append(marker.pop())

    def flush_verbatim():
        if verbatim:
            flush_marker()
            code = textwrap.dedent("\n".join(verbatim)).strip("\n")
            blocks.append((indent(), fence(code)))
            verbatim.clear()

    for p in paras:
        first = p[0]
        if first[0].isspace():
            if verbatim:
                verbatim.append("")
            verbatim.extend(line.expandtabs(8) for line in p)
            continue
        flush_verbatim()
        if first.startswith("="):
            flush_marker()
            cmd, _, rest = first.partition(" ")
            rest = " ".join([rest] + [line.strip() for line in p[1:]]).strip()
            if cmd == "=over":
                stack.append({"item": False, "n": 0})
            elif cmd == "=back":
                if stack:
                    stack.pop()
            elif cmd == "=item":
                if not stack:
                    stack.append({"item": False, "n": 0})
                lst = stack[-1]
                lst["item"] = False
                pad = indent()
                lst["item"] = True
                m = re.match(r"(\*|\d+\.?)\s*(.*)", rest, re.S)
                if m:
                    if m.group(1) == "*":
                        bullet = "-"
                    else:
                        lst["n"] += 1
                        bullet = f"{lst['n']}."
                    lst["width"] = len(bullet) + 1
                    label = pod_inline(m.group(2)).strip()
                    if label:
                        blocks.append((pad, f"{bullet} {label}"))
                    else:
                        marker.append((pad, bullet))
                else:
                    lst["width"] = 2
                    blocks.append((pad, f"- **{pod_inline(rest).strip()}**"))
            elif cmd in ("=pod", "=cut", "=encoding", "=for", "=begin", "=end"):
                pass
            continue
        text = escape_text(pod_inline(" ".join(line.strip() for line in p)))
        if marker:
            pad, bullet = marker.pop()
            blocks.append((pad, f"{bullet} {text}"))
        else:
            blocks.append((indent(), text))
    flush_verbatim()
    flush_marker()
    out = []
    for pad, block in blocks:
        out.append("\n".join(pad + line if line else "" for line in block.split("\n")))
    return tidy("\n\n".join(out))


def read_perlfaq(root):
    pods = sorted(glob.glob(os.path.join(root, "usr/share/perl/5.*/pod/perlfaq[1-9].pod")))
    if not pods:
        sys.exit(f"no perlfaq[1-9].pod under {root}")
    # Several perl versions side by side: take the newest of each file.
    latest = {}
    for path in pods:
        latest[os.path.basename(path)] = path
    entries = []
    for name in sorted(latest):
        doc = name[: -len(".pod")]
        text = open(latest[name], encoding="utf-8").read()
        paras = pod_paragraphs(text)
        heading = doc
        head1 = None
        current = None
        for p in paras:
            first = p[0]
            if first.startswith("=head1"):
                title = " ".join([first[6:].strip()] + [x.strip() for x in p[1:]])
                if current:
                    entries.append(current)
                    current = None
                head1 = title
                continue
            if head1 == "NAME" and not first.startswith("="):
                # "perlfaq4 - Data Manipulation"
                heading = " ".join(x.strip() for x in p).split(" - ", 1)[-1]
                continue
            if first.startswith("=head2"):
                if current:
                    entries.append(current)
                title = pod_plain(" ".join([first[6:].strip()] + [x.strip() for x in p[1:]]))
                section = heading if head1 in (None, "DESCRIPTION") else f"{heading}, {head1}"
                current = {"doc": doc, "title": re.sub(r"\s+", " ", title).strip(), "section": section, "paras": []}
                continue
            if current is not None and head1 not in ("NAME", "VERSION", "AUTHOR AND COPYRIGHT"):
                current["paras"].append(p)
        if current:
            entries.append(current)
    out = []
    for e in entries:
        out.append({
            "source": "perlfaq",
            "id_prefix": e["doc"],
            "title": e["title"],
            "context": f"Perl FAQ ({e['doc']}): {e['section']}",
            "answer": pod_to_markdown(e["paras"]),
        })
    return out


# ---------------------------------------------------------------- reStructuredText (Python FAQ)

ROLE_RE = re.compile(r":(?P<role>[a-z]+(?::[a-z]+)?):`(?P<body>[^`]+)`")
LINK_RE = re.compile(r"`(?P<text>[^`<]*?)\s*<(?P<url>[^`>]+)>`__?")
NAMED_RE = re.compile(r"`(?P<text>[^`]+)`_(?![A-Za-z0-9_])")
INTERP_RE = re.compile(r"(?<![`:\w])`(?P<text>[^`]+)`(?![`_\w])")
LITERAL_RE = re.compile(r"``(?P<text>.+?)``(?!`)")


def rst_role(role, body):
    body = body.strip()
    m = re.fullmatch(r"(?P<title>.*?)\s*<(?P<target>[^<>]+)>", body, re.S)
    if m and m.group("title"):
        title, target = m.group("title"), m.group("target")
    else:
        title, target = None, body
    if title is not None:
        return title if role in ("ref", "doc", "term", "mod") else code_span(title)
    shown = target.lstrip("!")
    if shown.startswith("~"):
        shown = shown[1:].rsplit(".", 1)[-1]
    if role == "pep":
        return f"PEP {shown}"
    if role in ("ref", "doc"):
        return shown.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    if role in ("term", "newsgroup"):
        return shown
    if role == "menuselection":
        return shown.replace("-->", ">")
    if role in ("func", "meth", "c:func", "c:macro") and not shown.endswith(")"):
        shown += "()"
    return code_span(shown)


def rst_inline(text):
    """reStructuredText inline markup to markdown."""
    saved = []

    def keep(s):
        saved.append(s)
        return f"\x00{len(saved) - 1}\x00"

    text = LITERAL_RE.sub(lambda m: keep(code_span(m.group("text"))), text)
    text = ROLE_RE.sub(lambda m: keep(rst_role(m.group("role"), m.group("body"))), text)

    def link(m):
        label, url = m.group("text").strip(), m.group("url").strip()
        if not label or label == url:
            return keep(url)
        if url.startswith(("http:", "https:", "ftp:", "mailto:")):
            return keep(f"{label} ({url})")
        return keep(label)

    text = LINK_RE.sub(link, text)
    text = NAMED_RE.sub(lambda m: keep(m.group("text")), text)
    text = INTERP_RE.sub(lambda m: keep(code_span(m.group("text"))), text)
    text = escape_text_inline(text)
    text = re.sub(r"\|(version|release)\|", "3.11", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)


LIST_ITEM = re.compile(r"^(?P<marker>[*+-]|#\.|\d+[.)]|\(\d+\))(?P<gap>\s+)(?P<rest>\S.*)$")


def indent_of(line):
    return len(line) - len(line.lstrip())


def rst_to_markdown(lines):
    """Converts reStructuredText body lines (no section titles) to markdown."""
    lines = [line.expandtabs(8).rstrip() for line in lines]
    blocks = []
    i = 0
    n = len(lines)
    literal_next = False

    def take_indented(start, base):
        """Lines from `start` on that are blank or indented more than `base`."""
        j = start
        while j < n and (not lines[j].strip() or indent_of(lines[j]) > base):
            j += 1
        while j > start and not lines[j - 1].strip():
            j -= 1
        return lines[start:j], j

    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        base = indent_of(line)
        stripped = line.strip()
        if base == 0:
            literal_next = False
        else:
            # An indented block: a literal block after '::', a doctest, or a quote.
            body, i = take_indented(i, base - 1)
            code = textwrap.dedent("\n".join(body))
            if literal_next or code.lstrip().startswith(">>>"):
                blocks.append(fence(code))
            else:
                inner = rst_to_markdown(code.split("\n"))
                blocks.append("\n".join("> " + x if x else ">" for x in inner.rstrip("\n").split("\n")))
            literal_next = False
            continue
        m = re.match(r"^\.\.\s+(?P<name>[a-zA-Z:-]+)::\s*(?P<arg>.*)$", stripped)
        if m:
            body, i = take_indented(i + 1, base)
            body = textwrap.dedent("\n".join(body)).split("\n")
            while body and re.match(r"^:[a-z-]+:", body[0]):
                body.pop(0)
            name, arg = m.group("name"), m.group("arg").strip()
            content = "\n".join(body).strip("\n")
            if name in ("code-block", "sourcecode", "code", "doctest", "testcode"):
                lang = arg if name.startswith("code") or name == "sourcecode" else ("pycon" if name == "doctest" else "python")
                lang = {"none": "", "doscon": "", "shell-session": "console", "sh": "sh"}.get(lang, lang)
                blocks.append(fence(content, lang))
            elif name in ("note", "seealso", "warning", "tip", "important", "versionadded", "versionchanged"):
                label = {"seealso": "See also", "versionadded": "New in version", "versionchanged": "Changed in version"}.get(name, name.capitalize())
                inner = rst_to_markdown(([arg] if arg else []) + [""] + body).strip()
                blocks.append(f"**{label}:** {inner}")
            # index, highlight, only, contents, testsetup, toctree...: nothing shown
            continue
        if stripped.startswith(".."):
            # A comment or a hyperlink target, with its indented continuation.
            _, i = take_indented(i + 1, base)
            continue
        li = LIST_ITEM.match(stripped)
        if li and base == 0:
            marker = li.group("marker")
            width = len(marker) + len(li.group("gap"))
            body = [" " * width + li.group("rest")]
            j = i + 1
            while j < n and lines[j].strip() and indent_of(lines[j]) >= width:
                body.append(lines[j])
                j += 1
            more, j = take_indented(j, width - 1)
            body.extend(more)
            inner = rst_to_markdown(textwrap.dedent("\n".join(body)).split("\n")).rstrip("\n")
            md_marker = "-" if marker in "*+-" else ("1." if marker == "#." else re.sub(r"\D", "", marker) + ".")
            pad = " " * (len(md_marker) + 1)
            out = [md_marker + " " + inner.split("\n")[0]]
            out += [pad + x if x else "" for x in inner.split("\n")[1:]]
            blocks.append(("LIST", "\n".join(out)))
            i = j
            continue
        # A paragraph: lines until a blank line or a change of indentation.
        para = [stripped]
        j = i + 1
        while j < n and lines[j].strip() and indent_of(lines[j]) == base:
            para.append(lines[j].strip())
            j += 1
        text = " ".join(para)
        if text.startswith(">>>"):
            blocks.append(fence("\n".join(lines[i:j])))
            i = j
            continue
        if j < n and lines[j].strip() and indent_of(lines[j]) > base:
            # A definition list entry: the term, then its indented definition.
            body, j = take_indented(j, base)
            inner = rst_to_markdown(textwrap.dedent("\n".join(body)).split("\n")).rstrip("\n")
            blocks.append(f"**{rst_inline(text)}**\n\n" + inner)
            i = j
            continue
        if text.endswith("::"):
            text = text[:-2].rstrip()
            if text and not para[-1].rstrip().endswith(" ::"):
                text += ":"
            literal_next = True
        if text:
            blocks.append(escape_text(rst_inline(text)))
        i = j
    out = []
    for b in blocks:
        if isinstance(b, tuple):
            # Consecutive list items stay one list.
            if out and out[-1][0] == "LIST":
                sep = "\n\n" if out[-1][2] or "\n" in b[1] else "\n"
                out[-1] = ("LIST", out[-1][1] + sep + b[1], "\n" in b[1])
            else:
                out.append(("LIST", b[1], "\n" in b[1]))
        else:
            out.append(("", b, False))
    return tidy("\n\n".join(b for _, b, _ in out))


RST_ADORN = re.compile(r"^([=\-~^\"*+#])\1{3,}\s*$")


def read_pyfaq(root):
    dirs = sorted(glob.glob(os.path.join(root, "usr/share/doc/python3.*/html/_sources/faq")))
    if not dirs:
        sys.exit(f"no Python FAQ sources under {root}")
    faq_dir = dirs[-1]
    entries = []
    for path in sorted(glob.glob(os.path.join(faq_dir, "*.rst.txt"))):
        doc = os.path.basename(path)[: -len(".rst.txt")]
        if doc == "index":
            continue
        lines = open(path, encoding="utf-8").read().split("\n")
        # Titles: a text line underlined (and maybe overlined) by a run of one character.
        titles = []
        for k in range(1, len(lines)):
            if RST_ADORN.match(lines[k]) and lines[k - 1].strip() and not RST_ADORN.match(lines[k - 1]):
                over = k >= 2 and RST_ADORN.match(lines[k - 2]) is not None
                titles.append((k - 1, lines[k][0] + ("o" if over else ""), lines[k - 1].strip(), over))
        doc_title = next((t for _, kind, t, _ in titles if kind.endswith("o")), doc)
        section = None
        starts = [line_no - 1 if over else line_no for line_no, _, _, over in titles]
        for idx, (line_no, kind, title, over) in enumerate(titles):
            end = starts[idx + 1] if idx + 1 < len(titles) else len(lines)
            body = lines[line_no + 2: end]
            if kind.endswith("o"):
                continue
            question = kind == "-" or title.endswith("?")
            if kind == "=" and not question:
                section = title
                continue
            # Trailing hyperlink targets (".. _faq-xyz:") belong to the next title.
            entries.append({
                "doc": doc,
                "title": title,
                "context": f"Python FAQ, {doc_title}" + (f": {section}" if section else ""),
                "body": body,
            })
    out = []
    for e in entries:
        out.append({
            "source": "pyfaq",
            "id_prefix": f"pyfaq/{e['doc']}",
            "title": re.sub(r"\s+", " ", rst_inline(e["title"]).replace("`", "").replace("\\<", "<")).strip(),
            "context": e["context"],
            "answer": rst_to_markdown(e["body"]),
        })
    return out


# ---------------------------------------------------------------- DocBook XHTML (Debian FAQ)


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.children = []
        self.parent = parent

    def cls(self):
        return self.attrs.get("class", "").split()

    def find_all(self, pred):
        for c in self.children:
            if isinstance(c, Node):
                if pred(c):
                    yield c
                yield from c.find_all(pred)

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base"}


class TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [])
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        node = self.cur
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


BLOCK = {"p", "pre", "ul", "ol", "dl", "div", "table", "h1", "h2", "h3", "h4", "h5", "blockquote", "li", "dt", "dd", "hr"}
CODE_CLASSES = {"literal", "command", "filename", "systemitem", "email", "package", "varname", "option", "userinput", "computeroutput", "application"}


class HtmlToMarkdown:
    def __init__(self, footnotes):
        self.footnotes = footnotes  # id -> Node
        self.used = []

    def inline(self, node):
        parts = []
        for c in node.children:
            if isinstance(c, str):
                parts.append(escape_text_inline(re.sub(r"\s+", " ", c)))
                continue
            tag, cls = c.tag, c.cls()
            if tag in ("img", "script", "style"):
                continue
            if tag == "br":
                parts.append("\n")
            elif tag == "sup" and "footnote" in cls:
                parts.append(c.text())
            elif tag == "a" and c.attrs.get("href", "").startswith("#ftn."):
                fid = c.attrs["href"][1:]
                if fid not in self.used:
                    self.used.append(fid)
                parts.append(c.text().strip())
            elif tag == "a" and "ulink" in cls:
                href = c.attrs.get("href", "")
                label = self.inline(c).strip()
                plain = re.sub(r"[`*]", "", label)
                if not label or plain == href or href.startswith("mailto:"):
                    parts.append(label or href)
                else:
                    parts.append(f"{label} ({href})")
            elif tag == "code" or (tag == "span" and CODE_CLASSES & set(cls)):
                text = re.sub(r"\s+", " ", c.text()).strip()
                if text:
                    parts.append(code_span(text))
            elif tag == "em" and "replaceable" in cls:
                parts.append(f"*{c.text().strip()}*")
            elif tag in ("em", "i") or (tag == "span" and "emphasis" in cls):
                inner = self.inline(c).strip()
                if inner:
                    parts.append(inner if inner.startswith("*") else f"*{inner}*")
            elif tag in ("strong", "b") or (tag == "span" and "strong" in cls):
                inner = self.inline(c).strip()
                if inner:
                    parts.append(inner if inner.startswith(("*", "`")) else f"**{inner}**")
            else:
                parts.append(self.inline(c))
        return "".join(parts)

    def blocks(self, node, out):
        """Appends the markdown blocks of node's children to out."""
        run = []  # inline children between blocks

        def flush():
            if run:
                holder = Node("#run", [])
                holder.children = run[:]
                text = self.inline(holder)
                text = "\n".join(x.strip() for x in text.split("\n"))
                text = re.sub(r"[ ]{2,}", " ", text).strip()
                if text:
                    out.append(escape_text(text))
                run.clear()

        for c in node.children:
            if isinstance(c, str) or c.tag not in BLOCK:
                run.append(c)
                continue
            flush()
            tag, cls = c.tag, c.cls()
            if tag == "div" and ({"navheader", "navfooter", "toc", "footnotes"} & set(cls)):
                continue
            if tag == "div" and "titlepage" in cls:
                head = next(c.find_all(lambda x: x.tag in ("h2", "h3", "h4", "h5")), None)
                if head is not None:
                    level = {"h2": 2, "h3": 3, "h4": 4, "h5": 5}[head.tag]
                    title = re.sub(r"^[\d.]+\s+", "", re.sub(r"\s+", " ", head.text()).strip())
                    out.append("#" * min(level + 1, 6) + " " + title)
                continue
            if tag in ("h1", "h2", "h3", "h4", "h5"):
                title = re.sub(r"^[\d.]+\s+", "", re.sub(r"\s+", " ", c.text()).strip())
                out.append("#### " + title)
            elif tag == "pre":
                out.append(fence(c.text().strip("\n")))
            elif tag in ("ul", "ol"):
                for k, li in enumerate(x for x in c.children if isinstance(x, Node) and x.tag == "li"):
                    marker = "-" if tag == "ul" else f"{k + 1}."
                    out.append(self.item(marker, li))
                out.append("\x01")  # keeps consecutive lists apart
            elif tag == "dl":
                term = None
                for x in c.children:
                    if not isinstance(x, Node):
                        continue
                    if x.tag == "dt":
                        term = re.sub(r"\s+", " ", self.inline(x)).strip()
                    elif x.tag == "dd":
                        sub = []
                        self.blocks(x, sub)
                        body = "\n\n".join(b for b in sub if b != "\x01")
                        if term:
                            out.append(f"**{term.strip('*')}**" if not term.startswith("`") else term)
                        out.append(body)
                        term = None
                if term:
                    out.append(f"**{term}**")
            elif tag == "blockquote":
                sub = []
                self.blocks(c, sub)
                quoted = "\n\n".join(b for b in sub if b != "\x01")
                out.append("\n".join("> " + x if x else ">" for x in quoted.split("\n")))
            elif tag == "table":
                for row in c.find_all(lambda x: x.tag == "tr"):
                    cells = [re.sub(r"\s+", " ", self.inline(td)).strip() for td in row.children if isinstance(td, Node) and td.tag in ("td", "th")]
                    out.append(" | ".join(cells))
            elif tag == "hr":
                continue
            else:  # p, div, li, dt, dd
                self.blocks(c, out)
        flush()

    def item(self, marker, li):
        sub = []
        self.blocks(li, sub)
        sub = [b for b in sub if b != "\x01"]
        text = "\n\n".join(sub) if sub else ""
        pad = " " * (len(marker) + 1)
        lines = text.split("\n")
        return "\n".join([f"{marker} {lines[0]}"] + [pad + x if x else "" for x in lines[1:]])


def join_blocks(blocks):
    out = []
    for b in blocks:
        if b == "\x01":
            continue
        if out and re.match(r"^(-|\d+\.) ", b) and re.match(r"^(-|\d+\.) ", out[-1]) and "\n\n" not in out[-1] and "\n\n" not in b:
            out[-1] = out[-1] + "\n" + b  # tight list
        else:
            out.append(b)
    return tidy("\n\n".join(out))


def read_debfaq(root):
    faq_dir = os.path.join(root, "usr/share/doc/debian/FAQ")
    index = os.path.join(faq_dir, "index.en.html")
    if not os.path.exists(index):
        sys.exit(f"no Debian FAQ under {root}")
    # Chapters in reading order, from the table of contents.
    order = []
    for href in re.findall(r'href="([a-z-]+\.en\.html)"', open(index, encoding="utf-8").read()):
        if href not in order and href != "index.en.html":
            order.append(href)
    for path in sorted(glob.glob(os.path.join(faq_dir, "*.en.html"))):
        name = os.path.basename(path)
        if name not in order and name != "index.en.html":
            order.append(name)
    entries = []
    for name in order:
        builder = TreeBuilder()
        builder.feed(open(os.path.join(faq_dir, name), encoding="utf-8").read())
        root_node = builder.root
        chapter = next(root_node.find_all(lambda x: x.tag == "h1"), None)
        chapter_title = re.sub(r"^Chapter\s+\d+\.\s*", "", re.sub(r"\s+", " ", chapter.text()).strip()) if chapter else name
        footnotes = {}
        for fn in root_node.find_all(lambda x: x.tag == "div" and "footnote" in x.cls() and x.attrs.get("id")):
            footnotes[fn.attrs["id"]] = fn
        sections = root_node.find_all(
            lambda x: x.tag == "div" and "section" in x.cls()
            and any(isinstance(t, Node) and "titlepage" in t.cls() and next(t.find_all(lambda h: h.tag == "h2"), None) for t in x.children)
        )
        for sec in sections:
            head = next(sec.find_all(lambda h: h.tag == "h2"))
            full = re.sub(r"\s+", " ", head.text()).strip()
            number, _, title = full.partition(" ")
            body = Node("#body", [])
            body.children = [c for c in sec.children if not (isinstance(c, Node) and "titlepage" in c.cls())]
            conv = HtmlToMarkdown(footnotes)
            blocks = []
            conv.blocks(body, blocks)
            for fid in conv.used:
                if fid in footnotes:
                    fn_blocks = []
                    conv.blocks(footnotes[fid], fn_blocks)
                    blocks.extend(fn_blocks)
            if "?" not in title and not re.match(r"(How|What|Why|Can|Is|Are|Do|Does|Where|Who)\b", title):
                title = f"{chapter_title}: {title}"
            entries.append({
                "source": "debfaq",
                "id_prefix": f"debian-faq/{name[: -len('.en.html')]}",
                "title": title,
                "context": f"Debian FAQ, chapter {number.split('.')[0]}: {chapter_title}",
                "answer": join_blocks(blocks),
            })
    return entries


# ---------------------------------------------------------------- output


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, out_path = sys.argv[1], sys.argv[2]
    entries = read_perlfaq(root) + read_pyfaq(root) + read_debfaq(root)
    records = [{"type": "user", "email": s["email"], "name": s["name"], "role": "member"} for s in SOURCES.values()]
    records.append({"type": "user", "email": ASKER, "name": "FAQ Reader", "role": "member"})
    seen = set()
    counts = {k: 0 for k in SOURCES}
    skipped = {k: 0 for k in SOURCES}
    cut = []
    for e in entries:
        src = SOURCES[e["source"]]
        answer = e["answer"].strip()
        if not answer:
            skipped[e["source"]] += 1
            continue
        answer, was_cut = cap(answer + "\n")
        base = f"{e['id_prefix']}/{slug(e['title'])}"
        tid, k = base, 2
        while tid in seen:
            tid, k = f"{base}-{k}", k + 1
        seen.add(tid)
        if was_cut:
            cut.append(tid)
        records.append({
            "type": "topic",
            "id": tid,
            "category": "questions",
            "title": e["title"][:200],
            "body": f"{escape_text_inline(e['title'])}\n\n*{e['context']}*\n",
            "author": ASKER,
            "tags": [src["tag"]],
        })
        records.append({"type": "post", "topic": tid, "author": src["email"], "body": answer, "accepted": True})
        counts[e["source"]] += 1
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(tmp, out_path)
    for name, n in counts.items():
        extra = f" ({skipped[name]} with an empty answer skipped)" if skipped[name] else ""
        print(f"{name}: {n} threads{extra}")
    print(f"total: {sum(counts.values())} threads, {len(records)} lines -> {out_path}")
    for tid in cut:
        print(f"cut to {MAX_ANSWER} bytes: {tid}")
    check_labels(seen)


def check_labels(topic_ids):
    """The labelled question files name threads by id: every id must still exist, or the
    benchmark would score against threads that are not there (a newer package may have
    renamed a question)."""
    here = os.path.dirname(os.path.abspath(__file__))
    missing = []
    for name in ("questions.jsonl", "heldout.jsonl"):
        path = os.path.join(here, name)
        if not os.path.exists(path):
            continue
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            if line.strip():
                missing += [f"{name}:{number}: {a}" for a in json.loads(line)["answers"] if a not in topic_ids]
    if missing:
        print("labelled answers not in the corpus:", *missing, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
