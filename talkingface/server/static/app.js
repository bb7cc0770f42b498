// talkingface web page: drop a portrait; speak into the microphone (live WebSocket) or upload speech (REST job).
"use strict";
const $ = (id) => document.getElementById(id);
const stage = $("stage"), g = stage.getContext("2d");
const state = { portraitId: null, portraitFile: null, ws: null, audio: null, jobId: null };
// For people and for tests: what the page has shown.
window.talkingface = { framesDrawn: 0, lastIndex: -1, lastJaw: 0, latencyMs: null, dropped: 0, live: false };

// ---- API token ------------------------------------------------------------------------------
// A server on a network wants its token (printed by `talkingface serve`) on every /api call. The
// printed URL carries it as #token=…, which the page keeps for this tab and removes from the bar.
const auth = { token: sessionStorage.getItem("talkingface-token") };
if (location.hash.startsWith("#token=")) {
  auth.token = decodeURIComponent(location.hash.slice(7));
  sessionStorage.setItem("talkingface-token", auth.token);
  history.replaceState(null, "", location.pathname + location.search);
}
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (auth.token) headers.Authorization = "Bearer " + auth.token;
  const resp = await fetch(path, { ...options, headers });
  if (resp.status === 401) askToken();
  return resp;
}
function withToken(url) {
  return auth.token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(auth.token) : url;
}
function askToken() {
  $("token-box").hidden = false;
  status("This server wants its API token: paste the one `talkingface serve` printed.", true);
}
$("token-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  auth.token = $("token").value.trim();
  sessionStorage.setItem("talkingface-token", auth.token);
  const resp = await api("/api/info");
  if (resp.ok) { $("token-box").hidden = true; status("Token accepted. No portrait yet."); }
});
api("/api/info");

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}
async function errorText(resp) {
  try { return (await resp.json()).detail || resp.statusText; } catch { return resp.statusText; }
}
function controls() {
  const v = (id) => $(id).value;
  return { motion_scale: v("motion_scale"), blink_rate: v("blink_rate"), fps: v("fps"), seed: v("seed") };
}
for (const id of ["motion_scale", "blink_rate", "fps", "seed"]) {
  const show = () => { $(id + "-v").textContent = $(id).value; };
  $(id).addEventListener("input", show);
  show();
}
for (const id of ["motion_scale", "blink_rate"]) {
  $(id).addEventListener("change", () => {
    if (state.ws && state.ws.readyState === 1)
      state.ws.send(JSON.stringify({ type: "set", [id]: Number($(id).value) }));
  });
}

// ---- portrait -------------------------------------------------------------------------------
async function setPortrait(file) {
  if (!file) return;
  stopLive();
  status("Analysing the face…");
  const body = new FormData();
  body.append("portrait", file);
  const resp = await api("/api/portraits", { method: "POST", body });
  if (!resp.ok) { status(await errorText(resp), true); return; }
  const info = await resp.json();
  state.portraitId = info.id;
  state.portraitFile = file;
  const img = new Image();
  img.onload = () => { showStage(); g.drawImage(img, 0, 0, stage.width, stage.height); };
  img.src = await previewUrl(info.preview_url);
  $("drop-hint").hidden = true;
  $("mic").disabled = false;
  $("audio-file").disabled = false;
  status("Ready: press the microphone button and speak, or upload speech.");
}
async function previewUrl(url) {  // an <img> cannot send the token header: fetch it as a blob
  const resp = await api(url);
  return resp.ok ? URL.createObjectURL(await resp.blob()) : "";
}
function showStage() { $("result").hidden = true; $("result").pause(); stage.hidden = false; }
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault(); drop.classList.remove("over");
  setPortrait(e.dataTransfer.files[0]);
});
$("portrait-file").addEventListener("change", (e) => setPortrait(e.target.files[0]));
drop.addEventListener("click", (e) => { if (e.target !== $("result")) $("portrait-file").click(); });
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") $("portrait-file").click(); });

// ---- live microphone ------------------------------------------------------------------------
$("mic").addEventListener("click", () => (state.ws ? stopLive() : startLive()));

async function startLive() {
  showStage();
  if (!window.isSecureContext || !navigator.mediaDevices) {
    status("The microphone needs a secure page: open this over HTTPS, or on localhost.", true);
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (e) {
    status("No microphone: " + e.message + " (allow microphone access, or upload speech instead)", true);
    return;
  }
  const ctx = new AudioContext({ sampleRate: 16000 });
  await ctx.audioWorklet.addModule("worklet.js");
  const source = ctx.createMediaStreamSource(stream);
  const tap = new AudioWorkletNode(ctx, "tap");
  const mute = ctx.createGain();
  mute.gain.value = 0;
  source.connect(tap).connect(mute).connect(ctx.destination);
  state.audio = { ctx, stream };

  const c = controls();
  const q = new URLSearchParams({ portrait: state.portraitId, sample_rate: ctx.sampleRate, format: "s16le", ...c });
  if (auth.token) q.set("token", auth.token);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live?${q}`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  const sent = []; // [client audio seconds at end of chunk, performance.now() when sent]
  let heard = 0, ready = false, frames = 0, t0 = performance.now(), drawnIndex = -1;
  tap.port.onmessage = (e) => {
    if (!ready || ws.readyState !== 1) return;
    ws.send(e.data);
    heard += e.data.byteLength / 2 / ctx.sampleRate;
    sent.push([heard, performance.now()]);
    if (sent.length > 500) sent.splice(0, sent.length - 500);
  };
  ws.onmessage = async (e) => {
    if (typeof e.data === "string") {
      const m = JSON.parse(e.data);
      if (m.type === "ready") { ready = true; window.talkingface.live = true; status("Live: speak now."); }
      else if (m.type === "stats") { window.talkingface.dropped = m.frames_dropped; $("st-dropped").textContent = m.frames_dropped; }
      else if (m.type === "error") status(m.message, true);
      return;
    }
    const now = performance.now();
    const dv = new DataView(e.data);
    const index = dv.getUint32(4, true), jaw = dv.getFloat32(16, true), frameHeard = dv.getFloat64(24, true);
    if (frameHeard >= 0) {
      const hit = sent.find((s) => Math.abs(s[0] - frameHeard) < 1e-4);
      if (hit) {
        const ms = now - hit[1];
        const tf = window.talkingface;
        tf.latencyMs = tf.latencyMs === null ? ms : 0.9 * tf.latencyMs + 0.1 * ms;
        $("st-latency").textContent = Math.round(tf.latencyMs) + " ms";
      }
    }
    const bmp = await createImageBitmap(new Blob([new Uint8Array(e.data, 32)], { type: "image/jpeg" }));
    if (index > drawnIndex) {
      drawnIndex = index;
      g.drawImage(bmp, 0, 0, stage.width, stage.height);
      const tf = window.talkingface;
      tf.framesDrawn++; tf.lastIndex = index; tf.lastJaw = jaw;
      frames++;
      $("st-frames").textContent = tf.framesDrawn;
      const secs = (performance.now() - t0) / 1000;
      if (secs > 1) { $("st-fps").textContent = (frames / secs).toFixed(1); if (secs > 3) { frames = 0; t0 = performance.now(); } }
    }
    bmp.close();
  };
  ws.onclose = (e) => {
    if (state.ws === ws) stopLive();
    if (e.code !== 1000 && e.code !== 1005) status(`Live stream closed (${e.code}${e.reason ? ": " + e.reason : ""}).`, e.code !== 1000);
  };
  $("mic").textContent = "■ Stop microphone";
  $("mic").classList.add("on");
}

function stopLive() {
  const ws = state.ws;
  state.ws = null;
  if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "stop" })); setTimeout(() => ws.close(), 1500); }
  if (state.audio) { state.audio.stream.getTracks().forEach((t) => t.stop()); state.audio.ctx.close(); state.audio = null; }
  window.talkingface.live = false;
  $("mic").textContent = "🎤 Start microphone";
  $("mic").classList.remove("on");
  if (ws) status("Stopped.");
}

// ---- uploaded speech → REST job -------------------------------------------------------------
$("audio-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file || !state.portraitFile) return;
  stopLive();
  const body = new FormData();
  body.append("portrait", state.portraitFile);
  body.append("audio", file);
  for (const [k, v] of Object.entries(controls())) body.append(k, v);
  if ($("label").checked) body.append("label", "AI-generated");
  status("Uploading…");
  $("download").hidden = true;
  const resp = await api("/api/jobs", { method: "POST", body });
  e.target.value = "";
  if (!resp.ok) { status(await errorText(resp), true); return; }
  const job = await resp.json();
  state.jobId = job.id;
  $("job").hidden = false;
  poll(job.id);
});
$("job-cancel").addEventListener("click", () => {
  if (state.jobId) api(`/api/jobs/${state.jobId}/cancel`, { method: "POST" });
});

async function poll(id) {
  while (state.jobId === id) {
    const resp = await api(`/api/jobs/${id}`);
    if (!resp.ok) { status(await errorText(resp), true); break; }
    const job = await resp.json();
    $("job-progress").value = job.progress;
    if (job.status === "queued") status(`Queued (position ${job.queue_position + 1})…`);
    else if (job.status === "running") status(`Rendering… ${Math.round(job.progress * 100)} %`);
    else {
      $("job").hidden = true;
      if (job.status === "done") {
        const video = $("result");
        stage.hidden = true;
        video.hidden = false;
        video.src = withToken(job.result_url);
        video.play().catch(() => {});
        $("download").href = withToken(job.result_url);
        $("download").hidden = false;
        status(`Done: ${job.duration.toFixed(1)} s of video in ${job.render_seconds.toFixed(1)} s.`);
      } else status(job.status === "failed" ? job.error : "Cancelled.", job.status === "failed");
      break;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}
