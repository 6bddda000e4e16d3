// The safety-check form on a phone with a poor connection.
//
// * Every answer is kept in localStorage, so a reload or a dropped network loses nothing.
// * The submission carries an id made on this device (client_uuid); the server answers a second
//   submission with the same id with the first check, so a retry never creates a second check.
// * When sending fails for want of a connection, the check is sent again shortly after the browser is
//   back online (or at once when the user presses Submit again).
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  if (!form) { return; }
  var KEY = "scorehub:check-draft:" + form.getAttribute("data-draft-key");
  var statusBox = document.getElementById("check-status");
  var errorBox = document.getElementById("check-errors");
  var uuidInput = form.querySelector("input[name=client_uuid]");
  var sending = false;
  var pending = false;

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }

  function setStatus(text, level) {
    statusBox.textContent = text;
    statusBox.className = "alert small py-2 mb-1 alert-" + (level || "secondary");
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function readDraft() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }

  function kept(el) {
    if (!el.name || el.disabled) { return false; }
    if (el.type === "file" || el.type === "hidden" || el.type === "submit" || el.type === "button") { return false; }
    return true;
  }

  function saveDraft() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      if (el.type === "radio") { if (el.checked) { fields[el.name] = el.value; } }
      else if (el.type === "checkbox") { fields[el.name] = el.checked; }
      else { fields[el.name] = el.value; }
    });
    var draft = { id: uuidInput.value, savedAt: new Date().toISOString(), pending: pending, fields: fields };
    try { window.localStorage.setItem(KEY, JSON.stringify(draft)); } catch (e) { /* storage full: keep going */ }
    return draft;
  }

  function restore(draft) {
    var fields = draft.fields || {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !(el.name in fields)) { return; }
      var value = fields[el.name];
      if (el.type === "radio") { el.checked = el.value === value; }
      else if (el.type === "checkbox") { el.checked = !!value; }
      else { el.value = value; }
    });
  }

  function updateProgress() {
    var answered = 0;
    var failed = 0;
    form.querySelectorAll(".check-item").forEach(function (item) {
      var checked = item.querySelector("input[type=radio]:checked");
      item.classList.toggle("is-failed", !!checked && checked.value === "fail");
      item.classList.toggle("is-answered", !!checked);
      if (checked) { answered += 1; if (checked.value === "fail") { failed += 1; } }
    });
    document.getElementById("answered-count").textContent = String(answered);
    document.getElementById("failed-count").textContent = String(failed);
  }

  function showErrors(errors) {
    errorBox.innerHTML = "";
    Object.keys(errors || {}).forEach(function (field) {
      (errors[field] || []).forEach(function (text) {
        var div = document.createElement("div");
        div.textContent = text;
        errorBox.appendChild(div);
      });
    });
    errorBox.classList.toggle("d-none", !errorBox.childNodes.length);
    if (errorBox.childNodes.length) { errorBox.scrollIntoView({ block: "center" }); }
  }

  function timeNow() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  function send() {
    if (sending) { return; }
    sending = true;
    setStatus(msg("sending"), "info");
    var body = new FormData(form);
    window.fetch(form.action || window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(
        function (data) { return data; },
        function () { return { ok: false, server: true }; }
      );
    }).then(function (data) {
      sending = false;
      if (data.ok) {
        pending = false;
        try { window.localStorage.removeItem(KEY); } catch (e) { /* nothing to remove */ }
        window.location.assign(data.url);
        return;
      }
      pending = false;
      saveDraft();
      if (data.server) { setStatus(msg("server"), "danger"); return; }
      setStatus(msg("invalid"), "danger");
      showErrors(data.errors);
    }, function () {
      // No connection: keep everything and try again when the browser is back online.
      sending = false;
      pending = true;
      saveDraft();
      setStatus(msg("pending"), "warning");
    });
  }

  // Start: an id for this check, made on the device and kept with the draft.
  var draft = readDraft();
  if (draft && draft.id) {
    uuidInput.value = draft.id;
    restore(draft);
    pending = !!draft.pending;
    setStatus(pending ? msg("pending") : msg("restored"), pending ? "warning" : "info");
  } else {
    uuidInput.value = newId();
    saveDraft();
  }
  updateProgress();
  if (!navigator.onLine) { setStatus(msg("offline"), "warning"); }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.type === "file") { setStatus(msg("photos"), "secondary"); return; }
    saveDraft();
    updateProgress();
    setStatus(msg("saved") + " · " + timeNow(), navigator.onLine ? "secondary" : "warning");
  });
  form.addEventListener("input", function (event) {
    if (event.target && (event.target.tagName === "TEXTAREA" || event.target.type === "text")) { saveDraft(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });
  form.querySelector(".js-rest-pass").addEventListener("click", function () {
    form.querySelectorAll(".check-item").forEach(function (item) {
      if (!item.querySelector("input[type=radio]:checked")) {
        var pass = item.querySelector("input[type=radio][value=pass]");
        if (pass) { pass.checked = true; }
      }
    });
    saveDraft();
    updateProgress();
  });
  var discard = form.querySelector(".js-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      if (!window.confirm(discard.getAttribute("data-discard-confirm"))) { return; }
      try { window.localStorage.removeItem(KEY); } catch (e) { /* nothing to remove */ }
      window.location.reload();
    });
  }
  window.addEventListener("offline", function () { setStatus(msg("offline"), "warning"); });
  window.addEventListener("online", function () {
    setStatus(msg("online"), "success");
    // Give the user a moment to press Submit themselves; otherwise send what is waiting.
    window.setTimeout(function () { if (pending && !sending) { send(); } }, 2000);
  });
})();
