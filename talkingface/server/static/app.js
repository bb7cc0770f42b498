// talkingface web page: drop a portrait; speak into the microphone (live WebSocket) or upload speech (REST job).
"use strict";
const $ = (id) => document.getElementById(id);
const stage = $("stage"), g = stage.getContext("2d");
const state = { portraitId: null, portraitFile: null, ws: null, audio: null, jobId: null };
// For people and for tests: what the page has shown.
window.talkingface = {
  framesDrawn: 0, lastIndex: -1, lastJaw: 0, latencyMs: null, dropped: 0, live: false,
  syncMs: null, controls: null, errors: [], audioSeconds: null, lastPts: null,
};
// Controls the live stream changes while it runs (stream/protocol.py documents each).
const LIVE_CONTROLS = ["motion_scale", "blink_rate", "emotion", "emotion_strength", "gaze_yaw", "gaze_pitch",
  "head_distance", "language"];
// File streamed live: its sound starts playing this long after the first frame arrives, so later
// frames (whose latency varies) are there in time.
const PLAYOUT_MARGIN_S = 0.1;

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
function liveControls() {
  const v = (id) => $(id).value, n = (id) => Number($(id).value);
  return {
    motion_scale: n("motion_scale"), blink_rate: n("blink_rate"), emotion: v("emotion"),
    emotion_strength: n("emotion_strength"), gaze: [n("gaze_yaw"), n("gaze_pitch")],
    head_distance: n("head_distance"), language: v("language"),
  };
}
for (const id of ["motion_scale", "blink_rate", "fps", "seed", "emotion_strength", "gaze_yaw", "gaze_pitch", "head_distance"]) {
  const show = () => { $(id + "-v").textContent = $(id).value; };
  $(id).addEventListener("input", show);
  show();
}
for (const id of LIVE_CONTROLS) {
  $(id).addEventListener("change", () => {
    if (state.ws && state.ws.readyState === 1) {
      const all = liveControls(), key = id.startsWith("gaze") ? "gaze" : id;
      state.ws.send(JSON.stringify({ type: "set", [key]: all[key] }));
    }
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
  $("live-file").disabled = false;
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
  const live = openLive(ctx, null, null);
  tap.port.onmessage = (e) => live.send(e.data);
  $("mic").textContent = "■ Stop microphone";
  $("mic").classList.add("on");
}

// A sound file streamed live: sent in 20 ms chunks at real-time pace on the AudioContext clock, and
// played on the same clock from when the first frame has arrived (+ PLAYOUT_MARGIN_S); frame `pts`
// is shown when the sound reaches pts, so picture and sound share one timeline and cannot drift
// however long the file is.
$("live-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file || !state.portraitId) return;
  stopLive();
  showStage();
  const ctx = new AudioContext({ sampleRate: 16000 });
  let buffer;
  try { buffer = await ctx.decodeAudioData(await file.arrayBuffer()); }
  catch (err) { status("Cannot read that sound file: " + err.message, true); ctx.close(); return; }
  state.audio = { ctx, stream: null };
  const pcm = buffer.getChannelData(0), chunk = Math.round(ctx.sampleRate * 0.02);
  const player = ctx.createBufferSource();
  player.buffer = buffer;
  player.connect(ctx.destination);
  // playAt: the AudioContext time of audio second 0, set when the first frame arrives
  const timing = { playAt: null, onFirstFrame: (at) => player.start(at) };
  const live = openLive(ctx, timing, () => {
    const start = ctx.currentTime + 0.05; // nothing is sent before the server is ready
    let i = 0;
    const pump = () => {
      if (state.audio === null || state.audio.ctx !== ctx) return;
      while (i < pcm.length && ctx.currentTime >= start + (i + chunk) / ctx.sampleRate) {
        const part = pcm.subarray(i, i + chunk), s16 = new Int16Array(part.length);
        for (let k = 0; k < part.length; k++) s16[k] = Math.max(-32768, Math.min(32767, part[k] * 32768));
        live.send(s16.buffer);
        i += chunk;
      }
      if (i < pcm.length) setTimeout(pump, 10);
      else live.finish(1.5);
    };
    pump();
  });
  status("Streaming the file live…");
});

// One live session: audio chunks go out with `send`; frames are drawn as they come (microphone), or
// when the played sound reaches their timestamp (`timing.playAt`: the AudioContext time of audio
// second 0). `onReady` runs once the server has said it is ready.
function openLive(ctx, timing, onReady) {
  const q = new URLSearchParams({ portrait: state.portraitId, sample_rate: ctx.sampleRate, format: "s16le", ...controls() });
  const c = liveControls();
  for (const k of ["emotion", "emotion_strength", "head_distance", "language"]) q.set(k, c[k]);
  q.set("gaze", c.gaze.join(","));
  if (auth.token) q.set("token", auth.token);
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live?${q}`);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  const sent = []; // [client audio seconds at end of chunk, performance.now() when sent]
  const waiting = []; // frames waiting for their sound (file mode)
  let heard = 0, ready = false, frames = 0, t0 = performance.now(), drawnIndex = -1, waitS = 0;
  const tf = window.talkingface;
  const draw = (bmp, index, jaw) => {
    if (index > drawnIndex) {
      drawnIndex = index;
      g.drawImage(bmp, 0, 0, stage.width, stage.height);
      tf.framesDrawn++; tf.lastIndex = index; tf.lastJaw = jaw;
      frames++;
      $("st-frames").textContent = tf.framesDrawn;
      const secs = (performance.now() - t0) / 1000;
      if (secs > 1) { $("st-fps").textContent = (frames / secs).toFixed(1); if (secs > 3) { frames = 0; t0 = performance.now(); } }
    }
    bmp.close();
  };
  if (timing !== null) {
    const tick = () => {
      if (state.ws !== ws && waiting.length === 0) return;
      if (timing.playAt === null) { requestAnimationFrame(tick); return; }
      const clock = ctx.currentTime - timing.playAt - (ctx.outputLatency || 0); // audio second now heard
      tf.audioSeconds = clock;
      while (waiting.length && waiting[0].pts <= clock) {
        const f = waiting.shift();
        const ms = (clock - f.pts) * 1000; // how late the frame is against its sound (0 = in sync)
        tf.syncMs = tf.syncMs === null ? ms : 0.9 * tf.syncMs + 0.1 * ms;
        $("st-sync").textContent = `${tf.syncMs >= 0 ? "+" : ""}${Math.round(tf.syncMs)} ms`;
        if (waiting.length && waiting[0].pts <= clock) { f.bmp.close(); continue; } // late: skip to the newest
        tf.lastPts = f.pts;
        draw(f.bmp, f.index, f.jaw);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }
  ws.onmessage = async (e) => {
    if (typeof e.data === "string") {
      const m = JSON.parse(e.data);
      if (m.type === "ready") {
        ready = true; tf.live = true; tf.controls = m.controls;
        waitS = m.latency_budget_ms / 1000 + 0.5 / m.fps;
        status(timing === null ? "Live: speak now." : "Streaming the file live…");
        if (onReady) onReady();
      }
      else if (m.type === "stats") { tf.dropped = m.frames_dropped; $("st-dropped").textContent = m.frames_dropped; }
      else if (m.type === "controls") tf.controls = m;
      else if (m.type === "error") { tf.errors.push(m.message); status(m.message, true); }
      return;
    }
    const now = performance.now();
    const dv = new DataView(e.data);
    const index = dv.getUint32(4, true), pts = dv.getFloat64(8, true), jaw = dv.getFloat32(16, true);
    const frameHeard = dv.getFloat64(24, true);
    if (frameHeard >= 0) {
      // voice to lips: the frame was made once the audio `waitS` past its centre had been sent,
      // so the sound it shows left in the chunk ending at or after frameHeard − waitS
      const centre = frameHeard - waitS - 1e-4;
      const hit = sent.find((s) => s[0] >= centre);
      if (hit) {
        const ms = now - hit[1];
        tf.latencyMs = tf.latencyMs === null ? ms : 0.9 * tf.latencyMs + 0.1 * ms;
        $("st-latency").textContent = Math.round(tf.latencyMs) + " ms";
      }
    }
    const bmp = await createImageBitmap(new Blob([new Uint8Array(e.data, 32)], { type: "image/jpeg" }));
    if (timing === null) { draw(bmp, index, jaw); return; }
    if (timing.playAt === null) {
      timing.playAt = ctx.currentTime + PLAYOUT_MARGIN_S - pts;
      timing.onFirstFrame(timing.playAt);
    }
    waiting.push({ bmp, index, pts, jaw });
  };
  ws.onclose = (e) => {
    if (state.ws === ws) stopLive();
    if (e.code !== 1000 && e.code !== 1005) status(`Live stream closed (${e.code}${e.reason ? ": " + e.reason : ""}).`, e.code !== 1000);
  };
  return {
    send(data) {
      if (!ready || ws.readyState !== 1) return;
      ws.send(data);
      heard += data.byteLength / 2 / ctx.sampleRate;
      sent.push([heard, performance.now()]);
      if (sent.length > 500) sent.splice(0, sent.length - 500);
    },
    finish(afterS) { setTimeout(() => { if (state.ws === ws) stopLive(); }, afterS * 1000); },
  };
}

function stopLive() {
  const ws = state.ws;
  state.ws = null;
  if (ws && ws.readyState === 1) { ws.send(JSON.stringify({ type: "stop" })); setTimeout(() => ws.close(), 1500); }
  if (state.audio) {
    if (state.audio.stream) state.audio.stream.getTracks().forEach((t) => t.stop());
    state.audio.ctx.close();
    state.audio = null;
  }
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
