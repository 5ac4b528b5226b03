// The desk's only script: sends forms as JSON with the page's CSRF token, shows the answers,
// and follows background jobs by id (kept in the address, so a reload finds the job again).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const $ = (sel, root = document) => root.querySelector(sel);
const texts = () => { const el = $("#texts"); return el ? JSON.parse(el.textContent) : {}; };

// Every POST goes through here, with the page's CSRF token: a form's fields as JSON, or a FormData
// (a file upload) as it is.
async function post(url, data) {
  const upload = data instanceof FormData;
  const headers = upload ? {"X-CSRF-Token": csrf()} : {"Content-Type": "application/json", "X-CSRF-Token": csrf()};
  const res = await fetch(url, {method: "POST", headers, body: upload ? data : JSON.stringify(data),
                                credentials: "same-origin"});
  let body = {};
  try { body = await res.json(); } catch (e) { body = {error: await res.text().catch(() => String(res.status))}; }
  return {status: res.status, ok: res.ok, body};
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// Mistakes at their fields: `errors` are {field, message} ("" = the form as a whole); `shown(field)`
// says whether that field may be marked yet (nothing is red before the user has been there).
function showErrors(form, errors, shown = () => true) {
  form.querySelectorAll(".err[data-for]").forEach(el => { el.textContent = ""; });
  form.querySelectorAll(".field.bad").forEach(el => el.classList.remove("bad"));
  for (const e of errors || []) {
    if (!shown(e.field)) continue;
    let el = form.querySelector(`.err[data-for="${CSS.escape(e.field)}"]`) || form.querySelector('.err[data-for=""]');
    if (!el) continue;
    el.textContent = (el.textContent ? el.textContent + "\n" : "") + e.message;
    const field = el.closest(".field");
    if (field) field.classList.add("bad");
  }
}

// Which fields the user has been to: a field counts once it was left (blur) or changed, or all of
// them once the form was sent. Errors show only there; a field with an error is re-checked as it is typed.
function visits(form, fieldOf) {
  const seen = new Set();
  let all = false;
  return {
    mark(el) { const f = fieldOf(el); if (f) seen.add(f); },
    markAll() { all = true; },
    has(field) { return all || (field === "" ? seen.size > 0 : seen.has(field)); },
  };
}

// ------------------------------------------------------------ background jobs
function followJob(id, onDone) {
  const t = texts();
  const box = $("#job"), bar = $("#job-progress"), msg = $("#job-message");
  box.classList.remove("hidden");
  const url = new URL(location.href);
  url.hash = "job=" + id;
  history.replaceState(null, "", url);
  let wait = 500;
  const tick = async () => {
    let res, job;
    try {
      res = await fetch("/api/jobs/" + id, {credentials: "same-origin"});
      job = await res.json();
    } catch (e) {
      // the network dropped, or a proxy answered with a page instead of the job: the job goes on
      // in the desk, so ask again, less and less often (at most every 10 s)
      msg.textContent = t.retrying || "";
      wait = Math.min(wait * 2, 10000);
      setTimeout(tick, wait);
      return;
    }
    wait = 500;
    if (!res.ok) { msg.textContent = (t.failed || "") + " " + job.error; return; }
    if (job.total) { bar.max = job.total; bar.value = job.done; } else { bar.removeAttribute("value"); }
    if (job.state === "running") {
      msg.textContent = (t.working || "") + " " + (job.message || "") + (job.total ? ` ${job.done}/${job.total}` : "");
      setTimeout(tick, 500);
    } else if (job.state === "done") {
      bar.max = 1; bar.value = 1; msg.textContent = t.done || "";
      onDone(job);
    } else {
      msg.textContent = (t.failed || "") + " " + job.message;
      msg.classList.add("err");
    }
  };
  tick();
}

function jobInAddress() {
  // any hex id: the desk checks it (desk/jobs.py JOB_ID) and answers 404 for one it does not know
  const m = location.hash.match(/job=([0-9a-f]+)/);
  return m ? m[1] : null;
}

// ------------------------------------------------------------ write
function showFiles(files) {
  // the folder's notices, as the page lists them on the left (a new file appears after its save)
  const list = $("#files");
  if (!list) return;
  list.textContent = "";
  for (const f of files) {
    const li = document.createElement("li"), a = document.createElement("a"), small = document.createElement("small");
    a.href = "/write?file=" + encodeURIComponent(f.path);
    a.textContent = f.title;
    small.textContent = f.path;
    li.append(a, " ", small);
    list.appendChild(li);
  }
}

function writePage() {
  const form = $("#notice-form");
  if (!form) return;
  const t = texts();
  let digest = form.dataset.digest;
  let file = form.dataset.file;
  const fieldOf = el => el.dataset && el.dataset.var ? "vars." + el.dataset.var : (el.name || "");
  const visited = visits(form, fieldOf);
  let last = [];
  const collect = () => {
    const data = {file, digest, template: form.dataset.template || null};
    for (const name of ["name", "title", "text", "voice", "repeat"]) {
      const el = form.elements[name];
      if (el) data[name] = el.value;
    }
    if (form.dataset.template) {
      data.vars = {};
      form.querySelectorAll("[data-var]").forEach(el => { data.vars[el.dataset.var] = el.value; });
    }
    return data;
  };
  const check = async () => {
    const res = await post("/api/check", collect());
    if (!res.ok) { last = [{field: "", message: res.body.error}]; showErrors(form, last, f => visited.has(f)); return; }
    last = res.body.errors;
    showErrors(form, last, f => visited.has(f));
    const spoken = $("#spoken");
    spoken.textContent = res.body.spoken || t.spoken_wait || "";
    spoken.classList.toggle("stale", !res.body.spoken);
    form.dataset.checks = String(Number(form.dataset.checks || 0) + 1);  // answers shown so far (tests wait on it)
  };
  const later = debounce(check, 400);
  form.addEventListener("input", later);
  // a field left is checked with the next answer: marking it at once would move the page under a
  // finger that is tapping Save
  const leave = ev => { visited.mark(ev.target); later(); };
  form.addEventListener("focusout", leave);
  form.addEventListener("change", leave);
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    visited.markAll();
    const status = $("#save-status");
    status.textContent = "";
    const res = await post("/api/save", collect());
    if (res.ok) {
      digest = res.body.digest;
      file = res.body.file;
      status.textContent = t.saved || "✓";
      status.className = "ok";
      const link = $("#hear-link");
      link.href = "/hear?file=" + encodeURIComponent(file);
      link.classList.remove("hidden");
      if (form.elements.name) form.elements.name.disabled = true;  // saved: later saves go to this file
      if (res.body.files) showFiles(res.body.files);
      last = [];
      showErrors(form, []);
    } else {
      status.textContent = res.body.error || String(res.status);
      status.className = "err";
      if (res.body.errors) { last = res.body.errors; showErrors(form, last); }
    }
  });
  check();
}

// ------------------------------------------------------------ hear
function showRendered(job) {
  const r = job.result;
  const src = `/jobs/${job.id}/${encodeURIComponent(r.file)}`;
  $("#player").src = src;
  $("#download").href = src;
  // r.heard says what listeners hear, e.g. 川渝口音（普通话声音 + 本地词）: an accent, never a dialect voice
  $("#result-info").textContent = `${r.duration.toFixed(1)} s · ${r.engine} · ${r.voice}` + (r.speaker ? ` · ${r.speaker}` : "")
    + (r.heard ? ` · ${r.heard}` : "");
  $("#transcript").textContent = r.transcript_text;
  $("#result").classList.remove("hidden");
}

function hearPage() {
  const form = $("#render-form");
  // the speaker matters only to engines with several speakers (listed by the page)
  const speaker = $("#speaker-field"), engine = $("#r-engine");
  const several = speaker.dataset.engines.split(" ").filter(Boolean);
  const showSpeaker = () => speaker.classList.toggle("hidden", !several.includes(engine.value));
  engine.addEventListener("change", showSpeaker);
  showSpeaker();
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    $("#result").classList.add("hidden");
    const data = Object.fromEntries(new FormData(form).entries());
    const res = await post("/api/render", data);
    if (!res.ok) { $("#job").classList.remove("hidden"); $("#job-message").textContent = res.body.error; return; }
    followJob(res.body.id, showRendered);
  });
  const id = jobInAddress();
  if (id) followJob(id, showRendered);
}

// ------------------------------------------------------------ jingles
function jinglesPage() {
  const form = $("#compose-form");
  const data = () => Object.fromEntries(new FormData(form).entries());
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    const res = await post("/api/compose", data());
    $("#compose-error").textContent = res.ok ? "" : res.body.error;
    $("#composed").textContent = res.ok ? res.body.lines.join("\n") : "";
  });
  $("#save-jingle").addEventListener("click", async () => {
    const res = await post("/api/jingle/save", data());
    $("#jingle-status").textContent = res.ok ? res.body.file : res.body.error;
    $("#jingle-status").className = res.ok ? "ok" : "err";
  });
}

// ------------------------------------------------------------ schedule
async function showPlan(job) {
  const box = $("#timeline");
  box.innerHTML = "";
  $("#plan-note").textContent = job.result.note || (job.result.days.length ? "" : texts().no_plays);
  for (const d of job.result.days) {
    const res = await fetch(`/jobs/${job.id}/${d.svg}`, {credentials: "same-origin"});
    const holder = document.createElement("div");
    holder.className = "day";
    holder.dataset.day = d.day;
    holder.innerHTML = await res.text();  // SVG drawn by broadcaster.schedule.svg, text escaped there
    const svg = holder.querySelector("svg");  // a viewBox lets the wide day shrink to the page, not be cut
    if (svg && !svg.getAttribute("viewBox")) {
      svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`);
    }
    // where the day scrolls sideways (a phone), its name stays above it
    const name = svg && svg.querySelector("text.day");
    const caption = document.createElement("div");
    caption.className = "day-caption";
    caption.textContent = name ? name.textContent : d.day;
    box.append(caption, holder);
    // and it starts at the next play from now (else the current time, else the first play)
    if (svg && holder.scrollWidth > holder.clientWidth) {
      const now = svg.querySelector(".now line");
      const nowX = now ? Number(now.getAttribute("x1")) : null;
      const plays = [...svg.querySelectorAll("rect.play")].map(r => Number(r.getAttribute("x")));
      const next = nowX === null ? plays : plays.filter(x => x >= nowX);
      const x = next.length ? Math.min(...next) : (nowX ?? Math.min(...plays));
      const scale = holder.scrollWidth / Number(svg.getAttribute("width"));
      if (Number.isFinite(x)) holder.scrollLeft = Math.max(0, x * scale - 60);
    }
  }
}

function schedulePage() {
  const t = texts();
  const plan = $("#plan-form");
  const runPlan = async () => {
    const res = await post("/api/plan", {file: plan.dataset.file, from: $("#plan-from").value});
    if (!res.ok) { $("#plan-note").textContent = res.body.error; return; }
    followJob(res.body.id, showPlan);
  };
  plan.addEventListener("submit", ev => { ev.preventDefault(); runPlan(); });
  const add = $("#add-form");
  const visited = visits(add, el => el.name || "");
  let last = [];
  const formData = () => ({...Object.fromEntries(new FormData(add).entries()), file: add.dataset.file});
  const showWarnings = warnings => {
    add.querySelectorAll("[data-warn-for]").forEach(el => {
      el.textContent = (warnings || []).filter(w => w.field === el.dataset.warnFor).map(w => w.message).join("\n");
    });
  };
  // as the days and times are typed: what they were read as, mistakes (once the field was left) and,
  // at once, the quiet-hours warning of the planner's own rule
  const understand = async () => {
    const res = await post("/api/schedule/when", formData());
    if (!res.ok) return;
    last = res.body.errors;
    add.querySelectorAll("[data-said]").forEach(el => {
      const said = res.body.said[el.dataset.said];
      el.textContent = said ? "＝ " + said : "";
    });
    showWarnings(res.body.warnings);
    showErrors(add, last, f => visited.has(f));
    add.dataset.checks = String(Number(add.dataset.checks || 0) + 1);
  };
  const later = debounce(understand, 300);
  add.addEventListener("input", later);
  const leave = ev => { visited.mark(ev.target); later(); };
  add.addEventListener("focusout", leave);
  add.addEventListener("change", leave);
  add.addEventListener("submit", async ev => {
    ev.preventDefault();
    visited.markAll();
    const data = formData();
    const res = await post("/api/schedule/add", data);
    const status = $("#add-status");
    if (res.ok) {
      last = [];
      showErrors(add, []);
      const warned = (res.body.warnings || []).map(w => w.message);
      status.textContent = warned.length ? `${t.added} ${t.added_but} ${warned.join(" ")}` : t.added;
      status.className = warned.length ? "warn" : "ok";
      plan.dataset.exists = "1";
      if (res.body.first) $("#plan-from").value = res.body.first;
      runPlan();
    } else {
      status.textContent = res.body.error;
      status.className = "err";
      last = res.body.errors || [];
      showErrors(add, last);
      showWarnings(res.body.warnings);
    }
  });
  const emergency = $("#emergency");
  if (emergency) emergency.addEventListener("click", async () => {
    // one press, one play: asked first, and no second request while the first is on its way
    const t = texts(), choice = $("#emergency-file"), status = $("#emergency-status");
    const title = choice.selectedOptions.length ? choice.selectedOptions[0].textContent : choice.value;
    if (emergency.disabled || !confirm(t.emergency_confirm.replace("{title}", title))) return;
    emergency.disabled = true;
    status.textContent = t.emergency_sending;
    try {
      const res = await post("/api/emergency", {file: choice.value});
      status.textContent = res.ok ? res.body.answers.map(a => `${a.channel_name || a.channel}: ${a.note}`).join("; ") : res.body.error;
    } catch (e) {
      status.textContent = (t.failed || "") + " " + e;
    } finally {
      emergency.disabled = false;
    }
  });
  const id = jobInAddress();
  if (id) followJob(id, showPlan);
  else if (plan.dataset.exists === "1") runPlan();
}

// ------------------------------------------------------------ batch
function showBatch(job) {
  const table = $("#batch-rows");
  table.classList.remove("hidden");
  for (const r of job.result.rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = r.village;
    tr.insertCell().textContent = r.status + (r.message ? " — " + r.message : "");
    const cell = tr.insertCell();
    if (r.file) {
      const audio = document.createElement("audio");
      audio.controls = true; audio.preload = "none"; audio.src = `/jobs/${job.id}/${r.file}`;
      cell.appendChild(audio);
    }
  }
}

function batchPage() {
  const form = $("#batch-form");
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    const res = await post("/api/batch", new FormData(form));
    if (!res.ok) { $("#job").classList.remove("hidden"); $("#job-message").textContent = res.body.error; return; }
    followJob(res.body.id, showBatch);
  });
  const id = jobInAddress();
  if (id) followJob(id, showBatch);
}

const pages = {write: writePage, hear: hearPage, jingles: jinglesPage, schedule: schedulePage, batch: batchPage};
document.addEventListener("DOMContentLoaded", () => {
  const run = pages[document.body.dataset.page];
  if (run) run();
});
