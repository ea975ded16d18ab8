/* jekyll-asr: captions, the paragraph being spoken, and timestamps that seek.
 *
 * Plain JavaScript, no framework. Browsers draw no captions for <audio>, so the
 * active cue of the captions <track> is shown in a .asr-caption box under the
 * player. Each .asr-transcript (written by `jekyll-asr build`) is tied to the
 * <audio> that plays its data-audio URL; a page's own player gets the captions
 * track added from data-vtt. `#t=SECONDS` (or #t=mm:ss) in the URL seeks on load.
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

  function showCaptions(audio, el) {
    var box = captionBox(audio), track = el.track;
    box.classList.add("asr-ready");
    track.mode = "hidden"; // load the cues and fire cuechange, but let us draw them
    track.addEventListener("cuechange", function () {
      var lines = [], cues = track.activeCues || [];
      for (var i = 0; i < cues.length; i++) lines.push(cues[i].text);
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
    if (transcript) followParagraphs(audio, transcript);
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
    var link = event.target.closest && event.target.closest(".asr-ts");
    if (!link) return;
    var transcript = link.closest(".asr-transcript");
    var audio = transcript ? audioFor(transcript) : document.querySelector("audio");
    if (!audio) return; // no player: the link stays a plain #t= link
    event.preventDefault();
    var seconds = parseFloat(link.getAttribute("data-start"));
    seek(audio, seconds, true);
    history.replaceState(null, "", "#t=" + seconds);
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
