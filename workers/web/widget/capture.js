/* pgwarden capture: the spec's global error handler, for pages without a Sentry SDK.
 *
 * <script src="https://<pgwarden web>/widget/capture.js" data-key="<project public key>"
 *         data-api="https://<PostgREST>"></script>
 *
 * Reports window.onerror, unhandled promise rejections and failed fetch calls (status >= 500 or no
 * answer) to /rpc/capture_error, each error once per page and at most 10 a minute. The report
 * widget reads pgwarden.lastEventId() and pgwarden.sessionId to link a report to these errors. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.pgwarden) return;
  var key = script.getAttribute("data-key");
  var api = (script.getAttribute("data-api") || "").replace(/\/$/, "");
  var endpoint = api + "/rpc/capture_error";
  var nativeFetch = window.fetch && window.fetch.bind(window);
  var seen = {};
  var sentAt = [];
  var lastId = null;

  function hex32() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  var sessionId;
  try {
    sessionId = sessionStorage.getItem("pgwarden.session") || hex32();
    sessionStorage.setItem("pgwarden.session", sessionId);
  } catch (e) {
    sessionId = hex32();  // storage refused (private mode, sandbox): one id for this page
  }

  function send(errorType, message, stack, metadata) {
    var signature = errorType + "|" + message + "|" + String(stack || "").split("\n")[1];
    var now = Date.now();
    sentAt = sentAt.filter(function (t) { return now - t < 60000; });
    if (seen[signature] || sentAt.length >= 10 || !nativeFetch) return;
    seen[signature] = true;
    sentAt.push(now);
    lastId = hex32();
    nativeFetch(endpoint, {
      method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", "X-Pgwarden-Key": key },
      body: JSON.stringify({ error_type: errorType, message: String(message).slice(0, 8192),
                             stack_trace: stack ? String(stack) : null, url: location.href,
                             user_agent: navigator.userAgent, event_id: lastId, session_id: sessionId,
                             metadata: metadata || {} })
    }).catch(function () {});
  }

  window.addEventListener("error", function (event) {
    if (!event.message && !event.error) return;  // a resource that failed to load
    var error = event.error;
    send("javascript", error ? (error.name || "Error") + ": " + error.message : event.message,
         error && error.stack, { source: "window.onerror", file: event.filename, line: event.lineno });
  });

  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    var message = reason instanceof Error ? (reason.name || "Error") + ": " + reason.message : "Unhandled rejection: " + reason;
    send("javascript", message, reason && reason.stack, { source: "unhandledrejection" });
  });

  if (nativeFetch) {
    window.fetch = function (input, init) {
      var url = typeof input === "string" ? input : (input && input.url) || String(input);
      try { url = new URL(url, location.href).href; } catch (e) { /* left as given */ }
      var method = (init && init.method) || (input && input.method) || "GET";
      var own = url.indexOf(api) === 0;  // never report pgwarden's own calls
      return nativeFetch(input, init).then(function (response) {
        if (!own && response.status >= 500) {
          send("api", method + " " + url.split("?")[0] + " " + response.status, null, { status: response.status });
        }
        return response;
      }, function (error) {
        if (!own) send("network", method + " " + url.split("?")[0] + " failed: " + error.message, null, {});
        throw error;
      });
    };
  }

  window.pgwarden = { lastEventId: function () { return lastId; }, sessionId: sessionId };
})();
