/* jekyll-asr: captions, the paragraph being spoken, and timestamps that seek.
 *
 * Plain JavaScript, no framework. Browsers draw no captions for <audio>, so the
 * active cue of the captions <track> is shown in a .asr-caption box under the
 * player. Each .asr-transcript (written by `jekyll-asr build`) is tied to the
 * <audio> that plays its data-audio URL; a page's own player gets the captions
 * track added from data-vtt. `#t=SECONDS` (or #t=mm:ss) in the URL seeks on load.
 * Word by word: each .asr-text[data-w] (two numbers per word, in centiseconds: start
 * after the previous word's start, and duration) is split into .asr-w spans; the word
 * being spoken gets .asr-now, and clicking a word seeks there.
 */
(function () {
  "use strict";
  if (window.jekyllAsr) return;
  var bound = [];
  window.jekyllAsr = { players: bound };

  function path(url) {
    try { return new URL(url, document.baseURI).pathname; } catch (e) { return ""; }
  }

  function parseTime(text) {
    var parts = String(text).split(":"), seconds = 0;
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) return NaN;
      seconds = seconds * 60 + parseFloat(parts[i]);
    }
    return parts.length ? seconds : NaN;
  }

  function audioFor(transcript) {
    var want = path(transcript.getAttribute("data-audio") || "");
    var all = document.querySelectorAll("audio");
    for (var i = 0; i < all.length; i++) {
      var srcs = [all[i].getAttribute("src")];
      all[i].querySelectorAll("source").forEach(function (s) { srcs.push(s.getAttribute("src")); });
      for (var j = 0; j < srcs.length; j++) if (srcs[j] && path(srcs[j]) === want) return all[i];
    }
    return all.length === 1 ? all[0] : null;
  }

  function captionsTrack(audio, transcript) {
    var el = audio.querySelector('track[kind="captions"], track[kind="subtitles"]');
    var vtt = transcript && transcript.getAttribute("data-vtt");
    if (!el && vtt) {
      el = document.createElement("track");
      el.kind = "captions";
      el.src = vtt;
      el.srclang = transcript.getAttribute("lang") || "en";
      el.label = "Captions";
      el.default = true;
      audio.appendChild(el);
    }
    return el;
  }

  function captionBox(audio) {
    var player = audio.closest(".asr-player");
    var box = player && player.querySelector(".asr-caption");
    if (!box) {
      box = document.createElement("div");
      box.className = "asr-caption";
      box.setAttribute("aria-hidden", "true");
      audio.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  // A cue's words without markup; a <v Name> voice span (several speakers) becomes "Name: ".
  function cueText(cue) {
    if (!cue.getCueAsHTML) return cue.text;
    var html = cue.getCueAsHTML(), voice = html.querySelector && html.querySelector("span[title]");
    var text = html.textContent;
    return voice && voice.title ? voice.title + ": " + text : text;
  }

  function showCaptions(audio, el) {
    var box = captionBox(audio), track = el.track;
    box.classList.add("asr-ready");
    track.mode = "hidden"; // load the cues and fire cuechange, but let us draw them
    track.addEventListener("cuechange", function () {
      var lines = [], cues = track.activeCues || [];
      for (var i = 0; i < cues.length; i++) lines.push(cueText(cues[i]));
      box.textContent = lines.join("\n");
    });
  }

  function followParagraphs(audio, transcript) {
    var paragraphs = transcript.querySelectorAll(".asr-paragraph"), current = null;
    function update() {
      var t = audio.currentTime, found = null;
      for (var i = 0; i < paragraphs.length; i++) {
        var p = paragraphs[i];
        if (t >= parseFloat(p.getAttribute("data-start")) && t < parseFloat(p.getAttribute("data-end"))) { found = p; break; }
      }
      if (found === current) return;
      if (current) current.classList.remove("asr-current");
      if (found) found.classList.add("asr-current");
      current = found;
    }
    audio.addEventListener("timeupdate", update);
    audio.addEventListener("seeked", update);
  }

  function wrapWords(transcript) {
    var starts = [], ends = [], spans = [];
    transcript.querySelectorAll(".asr-text[data-w]").forEach(function (el) {
      var nums = el.getAttribute("data-w").split(" ").map(Number);
      var words = el.textContent.split(" ");
      var p = el.closest(".asr-paragraph");
      var at = Math.round(parseFloat(p ? p.getAttribute("data-start") : "0") * 100);
      if (nums.length !== 2 * words.length || nums.some(isNaN)) return; // not this text's times: leave it
      el.textContent = "";
      for (var i = 0; i < words.length; i++) {
        at += nums[2 * i];
        var span = document.createElement("span");
        span.className = "asr-w";
        span.textContent = words[i];
        span.setAttribute("data-start", (at / 100).toFixed(2));
        if (i) el.appendChild(document.createTextNode(" "));
        el.appendChild(span);
        starts.push(at / 100); ends.push((at + nums[2 * i + 1]) / 100); spans.push(span);
      }
    });
    return { starts: starts, ends: ends, spans: spans };
  }

  function followWords(audio, transcript) {
    var w = wrapWords(transcript), lit = [];
    if (!w.spans.length) return;
    function update() {
      var t = audio.currentTime, lo = 0, hi = w.starts.length - 1, found = -1;
      while (lo <= hi) { // the last word starting at or before t
        var mid = (lo + hi) >> 1;
        if (w.starts[mid] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      var now = [];
      if (found >= 0 && t < w.ends[found]) {
        var a = found, b = found; // words sharing one time (a segment without word times) light up together
        while (a > 0 && w.starts[a - 1] === w.starts[found] && w.ends[a - 1] === w.ends[found]) a--;
        while (b < w.spans.length - 1 && w.starts[b + 1] === w.starts[found] && w.ends[b + 1] === w.ends[found]) b++;
        for (var i = a; i <= b; i++) now.push(w.spans[i]);
      }
      if (now.length === lit.length && now[0] === lit[0]) return;
      lit.forEach(function (s) { s.classList.remove("asr-now"); });
      now.forEach(function (s) { s.classList.add("asr-now"); });
      lit = now;
    }
    function frame() { update(); if (!audio.paused) requestAnimationFrame(frame); }
    audio.addEventListener("timeupdate", update);
    audio.addEventListener("seeked", update);
    audio.addEventListener("play", function () { requestAnimationFrame(frame); });
    update();
  }

  function seek(audio, seconds, play) {
    if (!audio || isNaN(seconds)) return;
    audio.currentTime = seconds;
    if (play) {
      var started = audio.play();
      if (started && started.catch) started.catch(function () { /* autoplay refused: stays seeked */ });
    }
  }

  function bind(audio, transcript) {
    if (bound.indexOf(audio) < 0) {
      bound.push(audio);
      var el = captionsTrack(audio, transcript);
      if (el) showCaptions(audio, el);
    }
    if (transcript) { followParagraphs(audio, transcript); followWords(audio, transcript); }
  }

  function seekFromHash(scroll) {
    var m = /^#t=([\d:.]+)/.exec(location.hash);
    if (!m) return;
    var transcript = document.querySelector(".asr-transcript");
    var audio = transcript ? audioFor(transcript) : document.querySelector("audio");
    var seconds = parseTime(m[1]);
    seek(audio, seconds, false);
    if (!scroll || !transcript) return;
    var ps = transcript.querySelectorAll(".asr-paragraph");
    for (var i = ps.length - 1; i >= 0; i--) {
      if (parseFloat(ps[i].getAttribute("data-start")) <= seconds) { ps[i].scrollIntoView({ block: "center" }); break; }
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".asr-ts, .asr-w");
    if (!link) return;
    var transcript = link.closest(".asr-transcript");
    var audio = transcript ? audioFor(transcript) : document.querySelector("audio");
    if (!audio) return; // no player: the link stays a plain #t= link
    event.preventDefault();
    var seconds = parseFloat(link.getAttribute("data-start"));
    seek(audio, seconds, true);
    if (link.classList.contains("asr-ts")) history.replaceState(null, "", "#t=" + seconds);
  });

  function start() {
    document.querySelectorAll(".asr-transcript").forEach(function (transcript) {
      var audio = audioFor(transcript);
      if (audio) bind(audio, transcript);
    });
    document.querySelectorAll("audio").forEach(function (audio) {
      if (bound.indexOf(audio) < 0 && audio.querySelector('track[kind="captions"]')) bind(audio, null);
    });
    seekFromHash(true);
    window.addEventListener("hashchange", function () { seekFromHash(true); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
