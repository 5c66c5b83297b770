// Parley: small enhancements; every page works without this file.
document.documentElement.classList.add("js");

// On a phone the header's search and menu fold behind their buttons; one open at a time.
if (window.matchMedia("(max-width: 600px)").matches) {
  const parts = document.querySelectorAll("details[data-phone-closed]");
  parts.forEach((d) => {
    d.open = false;
    d.addEventListener("toggle", () => {
      if (!d.open) return;
      parts.forEach((other) => {
        if (other !== d) other.open = false;
      });
      const field = d.querySelector("input[type=search]");
      if (field) field.focus();
    });
  });
}
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Live preview of markdown while writing, from the same renderer the server stores with.
function csrfToken() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

document.querySelectorAll("textarea[data-preview]").forEach((area) => {
  const target = document.getElementById(area.dataset.preview);
  if (!target) return;
  let timer = null;
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!area.value.trim()) {
        target.hidden = true;
        return;
      }
      try {
        const res = await fetch("/api/v1/markdown/preview", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
          body: JSON.stringify({ body: area.value }),
        });
        if (!res.ok) return;
        const data = await res.json();
        // The server sanitized this HTML with the same rules it stores posts with.
        target.innerHTML = data.html;
        target.hidden = false;
      } catch (_) {
        /* Preview is a nicety; posting works without it. */
      }
    }, 300);
  });
});

// Attaching a file: upload it at once and put its markdown where the cursor is, keeping
// what was typed. Without JavaScript the Attach button posts the whole reply form with
// the file, and the page comes back with the draft and the file's markdown in it.
document.querySelectorAll("[data-attach]").forEach((box) => {
  const area = document.getElementById(box.dataset.attach);
  const input = box.querySelector('input[type="file"]');
  const button = box.querySelector("[data-attach-button]");
  if (!area || !input || !button) return;
  button.addEventListener("click", async (event) => {
    if (!input.files.length) return;
    event.preventDefault();
    if (await uploadInto(area, input.files[0])) input.value = "";
  });
});

// Voting without a reload: the same call the form makes, through the API, then the
// score and buttons are updated in place. Without JavaScript the forms post as usual.
async function sendVote(url, value) {
  const res = await fetch(url, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify({ value: Number(value) }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    window.alert(body.detail || "The vote did not go through.");
    return null;
  }
  return body;
}

document.querySelectorAll("form[data-vote-post]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await sendVote(`/api/v1/posts/${form.dataset.votePost}/vote`, event.submitter.value);
    if (!result) return;
    form.querySelector(".score").textContent = result.score;
    const [up, down] = form.querySelectorAll("button");
    if (up && down) {
      up.classList.toggle("on", result.my_vote === 1);
      down.classList.toggle("on", result.my_vote === -1);
      up.value = result.my_vote === 1 ? "0" : "1";
      down.value = result.my_vote === -1 ? "0" : "-1";
    }
  });
});

document.querySelectorAll("form[data-vote-idea]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter;
    const result = await sendVote(`/api/v1/topics/${form.dataset.voteIdea}/vote`, button.value);
    if (!result) return;
    form.querySelector(".idea-votes").textContent = result.votes;
    button.value = result.voted ? "0" : "1";
    button.textContent = result.voted ? "Remove my vote" : "Vote for this";
    button.classList.toggle("secondary", result.voted);
  });
});

// Search before posting: while a title is typed, matching threads and articles are
// listed under it, so that an answer can be opened instead of asked for again.
document.querySelectorAll("[data-suggest-for]").forEach((box) => {
  const input = document.getElementById(box.dataset.suggestFor);
  const list = box.querySelector("ul");
  if (!input || !list) return;
  let timer = null;
  let asked = "";
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value;
      if (q.trim().length < 3) {
        box.hidden = true;
        return;
      }
      asked = q;
      try {
        // The form visit's token and choices go along, for the deflection report.
        const params = new URLSearchParams({ q });
        if (box.dataset.visit) {
          params.set("visit", box.dataset.visit);
          params.set("form", box.dataset.form || "ask");
          if (box.dataset.category) params.set("category", box.dataset.category);
          const form = box.closest("form");
          const priority = form && form.querySelector("input[name=priority]:checked");
          if (priority) params.set("priority", priority.value);
          const application = form && form.querySelector("#application_id");
          if (application && application.value) params.set("application", application.value);
        }
        const res = await fetch("/api/v1/search/suggest?" + params.toString());
        if (!res.ok || asked !== q) return;
        const found = await res.json();
        list.replaceChildren(
          ...found.map((t) => {
            const item = document.createElement("li");
            const link = document.createElement("a");
            link.href = box.dataset.visit ? t.url + (t.url.includes("?") ? "&" : "?") + "visit=" + encodeURIComponent(box.dataset.visit) : t.url;
            link.target = "_blank";
            link.textContent = t.title;
            item.append(link);
            if (t.solved || t.official) {
              const badge = document.createElement("span");
              badge.className = "badge ok";
              badge.textContent = t.solved ? "solved" : "official";
              item.append(" ", badge);
            }
            return item;
          }),
        );
        box.hidden = found.length === 0;
      } catch (_) {
        /* Suggestions are a nicety; posting works without them. */
      }
    }, 150);
  });
});

// Incidents that begin while a ticket is being written: the form looks again every
// 30 seconds and when it is about to be sent, and names any incident it did not show
// yet, so that the person can follow it instead of filing.
document.querySelectorAll("[data-incidents-live]").forEach((box) => {
  const shown = new Set((box.dataset.shown || "").split(",").filter(Boolean));
  const form = box.closest("form") || document.querySelector("form[enctype]");
  const look = async () => {
    try {
      const res = await fetch("/api/v1/status");
      if (!res.ok) return;
      const status = await res.json();
      for (const i of status.active) {
        if (shown.has(String(i.id))) continue;
        shown.add(String(i.id));
        const p = document.createElement("p");
        p.className = "banner severity-" + i.impact;
        p.setAttribute("role", "status");
        const link = document.createElement("a");
        link.href = "/status#incident-" + i.id;
        link.textContent = "follow it on the status page";
        p.append("Just reported: " + i.title + " (" + i.component_names.join(", ") + "). If this is what you see, ", link, ".");
        box.append(p);
        box.hidden = false;
      }
    } catch (_) {
      /* The status is a nicety; filing works without it. */
    }
  };
  setInterval(look, 30000);
  if (form) form.addEventListener("focusin", () => look(), { once: true });
});

// Times: "3 hours ago" kept right while a page stays open (and in pages the server keeps
// for a while), with the absolute time on hover in the reader's time zone: their own
// setting (data-tz on the body), else the browser's. Due times ("Tue 14:00") likewise.
(() => {
  const zone = document.body.dataset.tz || undefined;
  let full, clock;
  try {
    full = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
    clock = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone });
  } catch (_) {
    return; // An unknown zone: the server's UTC text stays.
  }
  const ago = (then, now) => {
    const secs = Math.round((now - then) / 1000);
    const future = secs < 0;
    const s = Math.abs(secs);
    const say = (n, one, many) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
    let span;
    if (s < 60) return "just now";
    else if (s < 3600) span = `${Math.floor(s / 60)} min`;
    else if (s < 86400) span = say(Math.floor(s / 3600), "hour", "hours");
    else if (s < 172800) return future ? "tomorrow" : "yesterday";
    else if (s < 604800) span = say(Math.floor(s / 86400), "day", "days");
    else {
      const opts = { day: "numeric", month: "short", timeZone: zone };
      if (then.getFullYear() !== now.getFullYear()) opts.year = "numeric";
      return then.toLocaleDateString("en-GB", opts);
    }
    return future ? `in ${span}` : `${span} ago`;
  };
  const refresh = () => {
    const now = new Date();
    document.querySelectorAll("time[data-when]").forEach((el) => {
      const then = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(then.getTime())) return;
      el.textContent = ago(then, now);
      el.title = full.format(then);
    });
  };
  document.querySelectorAll("time[data-clock]").forEach((el) => {
    const then = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(then.getTime())) return;
    el.textContent = clock.format(then);
    el.title = full.format(then);
  });
  refresh();
  setInterval(refresh, 60000);
})();

// The account page names the browser's own zone beside the choice that follows it.
document.querySelectorAll("select[data-browser-zone]").forEach((select) => {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (own && select.options[0]) select.options[0].textContent = `Your browser's time zone (${own})`;
});

// Staff keys on a ticket page: r replies to the customer, i writes an internal note, n
// opens the next ticket in the queue. Never while typing, never with a modifier.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const box = document.querySelector(".reply-box textarea");
  const radio = (which) => document.querySelector(`[data-shortcut-${which}]`);
  if ((event.key === "r" || event.key === "i") && box && radio("public")) {
    event.preventDefault();
    radio(event.key === "r" ? "public" : "internal").checked = true;
    box.focus();
    box.scrollIntoView({ block: "center" });
  } else if (event.key === "n") {
    const next = document.querySelector("a[data-next-ticket]");
    if (next) {
      event.preventDefault();
      window.location.assign(next.href);
    }
  }
});

// The composer: a small markdown toolbar, the draft kept in this browser until it is
// posted, and images pasted or dropped into the text uploaded and linked where the
// cursor is. Without JavaScript the text box works as it is.

// Uploads a file (attached, pasted or dropped) and puts its markdown at the cursor;
// true when it was attached.
async function uploadInto(area, file) {
  const data = new FormData();
  data.append("file", file);
  const res = await fetch("/api/v1/uploads", { method: "POST", headers: { "X-CSRF-Token": csrfToken() }, body: data });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    window.alert(body.detail || "The file could not be attached.");
    return false;
  }
  const at = area.selectionStart || area.value.length;
  area.value = area.value.slice(0, at) + body.markdown + "\n" + area.value.slice(at);
  area.dispatchEvent(new Event("input"));
  return true;
}

function wrapSelection(area, before, after, placeholder) {
  const [start, end] = [area.selectionStart, area.selectionEnd];
  const chosen = area.value.slice(start, end) || placeholder;
  area.value = area.value.slice(0, start) + before + chosen + after + area.value.slice(end);
  area.focus();
  area.setSelectionRange(start + before.length, start + before.length + chosen.length);
  area.dispatchEvent(new Event("input"));
}

function prefixLines(area, prefix) {
  const start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
  const end = area.selectionEnd;
  const lines = area.value.slice(start, end).split("\n").map((l) => prefix + l).join("\n");
  area.value = area.value.slice(0, start) + lines + area.value.slice(end);
  area.focus();
  area.dispatchEvent(new Event("input"));
}

document.querySelectorAll("textarea[data-uploads]").forEach((area) => {
  const bar = document.createElement("div");
  bar.className = "toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Formatting");
  const tools = [
    ["Bold", () => wrapSelection(area, "**", "**", "bold text")],
    ["Italic", () => wrapSelection(area, "_", "_", "italic text")],
    ["Code", () => wrapSelection(area, "`", "`", "code")],
    ["Link", () => wrapSelection(area, "[", "](https://)", "link text")],
    ["List", () => prefixLines(area, "- ")],
    ["Quote", () => prefixLines(area, "> ")],
  ];
  for (const [name, act] of tools) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small secondary";
    button.textContent = name;
    button.addEventListener("click", act);
    bar.appendChild(button);
  }
  area.parentNode.insertBefore(bar, area);

  // The draft: kept per page and box, put back when the box comes back empty.
  const key = `parley-draft:${window.location.pathname}:${area.id}`;
  try {
    const kept = window.localStorage.getItem(key);
    if (kept && !area.value.trim()) {
      area.value = kept;
      area.dispatchEvent(new Event("input"));
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = "Your draft from before is back; it stays in this browser until you post it.";
      bar.after(note);
    }
    let timer = null;
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (area.value.trim()) window.localStorage.setItem(key, area.value);
        else window.localStorage.removeItem(key);
      }, 400);
    });
    if (area.form) area.form.addEventListener("submit", () => window.localStorage.removeItem(key));
  } catch (_) {
    /* No storage (a private window): no draft kept. */
  }

  area.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (!files.length) return;
    event.preventDefault();
    files.forEach((f) => uploadInto(area, f));
  });
  area.addEventListener("dragover", (event) => event.preventDefault());
  area.addEventListener("drop", (event) => {
    const files = [...(event.dataTransfer ? event.dataTransfer.files : [])];
    if (!files.length) return;
    event.preventDefault();
    files.forEach((f) => uploadInto(area, f));
  });
});
