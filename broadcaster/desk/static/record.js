// The Record page: record a notice in the official's own voice (MediaRecorder where the page may use the
// microphone, else the phone's own recorder through a file input), hear the cleaned, mastered program the
// desk makes of it, then keep it or record again. Uses desk.js's post() (CSRF) and followJob().
"use strict";

(() => {
  const recordTexts = () => JSON.parse(document.getElementById("record-texts").textContent);

  // what MediaRecorder can write here, best first, and the file name the desk sees (its suffix names the format)
  const FORMATS = [["audio/webm;codecs=opus", ".webm"], ["audio/ogg;codecs=opus", ".ogg"], ["audio/mp4", ".m4a"],
                   ["audio/webm", ".webm"]];
  const BITRATE = 64000;  // Opus at 64 kbit/s: a clear voice, 7.2 MB for the longest take (15 minutes)

  function suffixFor(type) {
    const found = FORMATS.find(([t]) => type && type.startsWith(t.split(";")[0]));
    return found ? found[1] : ".webm";
  }

  function clock(seconds) {
    const s = Math.floor(seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function recordPage() {
    const box = $("#recorder");
    if (!box) return;
    const t = recordTexts();
    const where = $("#rec-where"), start = $("#rec-start"), stop = $("#rec-stop"), time = $("#rec-time");
    const upload = $("#rec-upload"), error = $("#take-error"), take = $("#take"), player = $("#take-player");
    const keep = $("#take-keep"), again = $("#take-again"), keepStatus = $("#keep-status");
    const maxBytes = Number(box.dataset.max), maxSeconds = Number(box.dataset.seconds);
    let digest = box.dataset.digest, job = null;

    // Browsers give the microphone only to secure pages (https://, or this computer's own address);
    // a phone on the office LAN over http:// gets the file input, which opens its own recorder.
    const canRecord = window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
      && window.MediaRecorder;
    where.textContent = canRecord ? t.mic_ok : (window.isSecureContext ? t.mic_missing : t.mic_insecure);
    box.dataset.mic = canRecord ? "yes" : (window.isSecureContext ? "missing" : "insecure");
    start.classList.toggle("hidden", !canRecord);

    // what to read out follows the choice of where the take goes
    const part = $("#rec-part");
    part.addEventListener("change", () => {
      const words = part.selectedOptions[0].dataset.words || "";
      $("#rec-words").textContent = words;
      $("#rec-read").classList.toggle("hidden", !words);
    });

    const reset = () => {
      error.textContent = "";
      take.classList.add("hidden");
      $("#job").classList.add("hidden");
      $("#kept-links").classList.add("hidden");
      keepStatus.textContent = "";
      keepStatus.className = "";
      player.removeAttribute("src");
      job = null;
    };

    const showTake = finished => {
      const r = finished.result;
      job = finished.id;
      player.src = `/jobs/${finished.id}/${r.file.split("/").map(encodeURIComponent).join("/")}`;
      $("#take-info").textContent = t.heard.replace("{seconds}", r.duration.toFixed(1))
        .replace("{take}", r.take_seconds.toFixed(1));
      $("#take-warnings").textContent = (r.warnings || []).join("\n");
      $("#take-transcript").textContent = r.transcript_text;
      keep.disabled = false;
      take.classList.remove("hidden");
    };

    // a take (a Blob from MediaRecorder, or the phone recorder's file) goes to the desk to be checked and heard
    const send = async (blob, name) => {
      reset();
      if (blob.size > maxBytes) {
        error.textContent = t.too_big.replace("{mb}", (blob.size / 1e6).toFixed(1))
          .replace("{limit}", String(Math.floor(maxBytes / 1048576)));
        return;
      }
      const form = new FormData();
      form.append("notice", box.dataset.notice);
      form.append("part", part.value);
      form.append("take", blob, name);
      $("#job").classList.remove("hidden");
      $("#job-message").textContent = t.cleaning;
      const res = await post("/api/record/preview", form);
      if (!res.ok) {
        $("#job").classList.add("hidden");
        // a bad take (silent, too short, not audio ...): its one line, at the controls
        error.textContent = res.status === 413
          ? t.too_big.replace("{mb}", (blob.size / 1e6).toFixed(1)).replace("{limit}", String(Math.floor(maxBytes / 1048576)))
          : res.body.error;
        return;
      }
      followJob(res.body.id, showTake);
    };

    let recorder = null, ticking = null, stopAt = null;
    start.addEventListener("click", async () => {
      reset();
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({audio: true});
      } catch (e) {
        error.textContent = t.mic_refused;
        return;
      }
      const chosen = FORMATS.find(([type]) => MediaRecorder.isTypeSupported(type));
      const options = chosen ? {mimeType: chosen[0], audioBitsPerSecond: BITRATE} : {audioBitsPerSecond: BITRATE};
      recorder = new MediaRecorder(stream, options);
      const chunks = [];
      recorder.addEventListener("dataavailable", ev => { if (ev.data.size) chunks.push(ev.data); });
      recorder.addEventListener("stop", () => {
        stream.getTracks().forEach(track => track.stop());
        clearInterval(ticking);
        clearTimeout(stopAt);
        start.classList.remove("hidden");
        stop.classList.add("hidden");
        upload.disabled = false;
        const type = recorder.mimeType || (chosen ? chosen[0] : "audio/webm");
        send(new Blob(chunks, {type}), "take" + suffixFor(type));
      });
      const began = Date.now();
      recorder.start(1000);
      start.classList.add("hidden");
      stop.classList.remove("hidden");
      upload.disabled = true;
      time.textContent = t.recording.replace("{time}", clock(0));
      box.dataset.state = "recording";
      ticking = setInterval(() => {
        time.textContent = t.recording.replace("{time}", clock((Date.now() - began) / 1000));
        box.dataset.recorded = String(Math.floor((Date.now() - began) / 1000));
      }, 250);
      stopAt = setTimeout(() => recorder.state !== "inactive" && recorder.stop(), maxSeconds * 1000);
    });
    stop.addEventListener("click", () => {
      box.dataset.state = "stopped";
      time.textContent = "";
      if (recorder && recorder.state !== "inactive") recorder.stop();
    });

    upload.addEventListener("change", () => {
      const file = upload.files[0];
      $("#rec-upload-name").textContent = file ? file.name : "";
      if (file) send(file, file.name);
      upload.value = "";  // the same file chosen again is sent again
    });
    // the label is the button: Enter or Space on it opens the file input, as a click does
    $("#rec-upload-button").addEventListener("keydown", ev => {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); upload.click(); }
    });

    again.addEventListener("click", () => {
      player.pause();
      reset();
      (canRecord ? start : upload).focus();
    });

    keep.addEventListener("click", async () => {
      if (!job || keep.disabled) return;
      keep.disabled = true;  // one press, one save
      const res = await post("/api/record/keep", {job, digest});
      if (res.ok) {
        digest = res.body.digest;
        keepStatus.textContent = t.kept.replace("{name}", res.body.recording);
        keepStatus.className = "ok";
        $("#kept-links").classList.remove("hidden");
      } else {
        keepStatus.textContent = res.body.error;
        keepStatus.className = "err";
        keep.disabled = false;
      }
    });

    const id = jobInAddress();  // a reloaded page shows the take it was about
    if (id) followJob(id, showTake);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.dataset.page === "record") recordPage();
  });
})();
