/* pgwarden report widget: a "Report a problem" button and dialog that files a user error report.
 *
 * <script src="https://<pgwarden web>/widget/report.js" data-widget-key="wk_..." async></script>
 *
 * Optional: data-label (button text), data-button="none" (no button: call pgwardenReport.open()),
 * data-web (pgwarden web, if not where the script came from).
 * The report carries the page URL, browser details, the last Sentry event id (from a Sentry SDK on
 * the page, or from pgwarden's capture.js) and an optional screenshot, both posted to pgwarden web
 * with the key in the URL (as Sentry's browser SDKs send theirs): the browser's CORS preflight is
 * then answered from the key's allowed origins. After sending, a link shows the report's status.
 * No dependencies; a native <dialog> gives focus handling and Escape. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.pgwardenReport) return;
  var key = script.getAttribute("data-widget-key");
  var web = (script.getAttribute("data-web") || new URL(script.src).origin).replace(/\/$/, "");
  var dialog, form, statusBox, opener;
  var STYLE =
      ".pgw-dialog{max-width:32rem;width:90vw;font:15px/1.4 system-ui,sans-serif;color:#111}" +
      ".pgw-dialog label{display:block;font-weight:600}.pgw-dialog small{display:block;color:#555}" +
      ".pgw-dialog input,.pgw-dialog textarea,.pgw-dialog select{width:100%;box-sizing:border-box;font:inherit}" +
      ".pgw-dialog [aria-invalid=true]{outline:2px solid #b00020}.pgw-status{min-height:1.4em}" +
      ".pgw-status.pgw-error{color:#b00020}.pgw-actions{display:flex;gap:.5rem;justify-content:flex-end}" +
      ".pgw-button{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;font:14px system-ui,sans-serif;" +
      "padding:.6rem 1rem;border-radius:1.5rem;border:0;background:#1f3a8a;color:#fff;cursor:pointer}" +
      ".pgw-button:focus-visible,.pgw-dialog button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // one labelled field; `name` is the report field the server names when it refuses one
  function field(label, name, control, hint) {
    control.id = "pgw-" + name;
    control.name = name;
    var children = [el("label", { for: control.id }, [label]), control];
    if (hint) {
      control.setAttribute("aria-describedby", control.id + "-hint");
      children.push(el("small", { id: control.id + "-hint" }, [hint]));
    }
    return el("p", {}, children);
  }

  function build() {
    var priority = el("select", {}, ["low", "medium", "high", "critical"].map(function (p) {
      return el("option", p === "medium" ? { value: p, selected: "" } : { value: p }, [p]);
    }));
    form = el("form", { novalidate: "" }, [
      el("h2", { id: "pgw-heading" }, ["Report a problem"]),
      field("Title (required)", "title", el("input", { type: "text", required: "", autocomplete: "off" })),
      field("What happened? (required)", "description", el("textarea", { rows: "4", required: "" })),
      field("Steps to reproduce", "steps_to_reproduce", el("textarea", { rows: "3" })),
      field("Priority", "priority", priority),
      field("Screenshot", "screenshot", el("input", { type: "file", accept: "image/png,image/jpeg,image/webp" }),
            "PNG, JPEG or WebP, up to 2 MB"),
      field("Your e-mail", "reporter_email", el("input", { type: "email", autocomplete: "email" }),
            "Optional, if you would like an answer"),
      // the honeypot: hidden from people and screen readers, filled only by bots
      el("p", { "aria-hidden": "true", style: "position:absolute;left:-9999px" }, [
        el("label", { for: "pgw-website" }, ["Website"]),
        el("input", { id: "pgw-website", name: "website", type: "text", tabindex: "-1", autocomplete: "off" })]),
      statusBox = el("p", { role: "status", "aria-live": "polite", class: "pgw-status" }),
      el("p", { class: "pgw-actions" }, [
        el("button", { type: "button", value: "cancel" }, ["Cancel"]),
        el("button", { type: "submit" }, ["Send report"])])
    ]);
    dialog = el("dialog", { "aria-labelledby": "pgw-heading", class: "pgw-dialog" }, [form]);
    form.querySelector("button[value=cancel]").addEventListener("click", close);
    form.addEventListener("submit", submit);
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });
    document.body.appendChild(dialog);
  }

  function open() {
    if (!dialog) build();
    opener = document.activeElement;
    say("");
    dialog.showModal();
    form.elements.title.focus();
  }

  function close() { dialog.close(); }

  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.className = "pgw-status" + (isError ? " pgw-error" : "");
    statusBox.setAttribute("role", isError ? "alert" : "status");
  }

  // the Sentry event the page sent last: a Sentry SDK's, else capture.js's
  function lastEventId() {
    var sentry = window.Sentry;
    var id = sentry && typeof sentry.lastEventId === "function" ? sentry.lastEventId() : null;
    return id || (window.pgwarden && window.pgwarden.lastEventId && window.pgwarden.lastEventId()) || null;
  }

  function post(path, body, headers) {
    return fetch(web + path + "?widget_key=" + encodeURIComponent(key), { method: "POST", body: body, headers: headers })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw { status: response.status, data: data, retryAfter: response.headers.get("Retry-After") };
          return data;
        });
      });
  }

  // a refusal as a person reads it; a 400 names the field and moves focus there
  function explain(problem) {
    var data = (problem && problem.data) || {};
    var status = problem && problem.status;
    if (status === 400 || status === 415) {
      var named = /Field: (\w+)/.exec(data.details || "");
      var control = named && form.elements[named[1]];
      if (control) { control.setAttribute("aria-invalid", "true"); control.focus(); }
      return "Please check " + (named ? named[1].replace(/_/g, " ") : "the form") + ": " + (data.message || "invalid") + ".";
    }
    if (status === 413) return "The screenshot is too large (at most 2 MB).";
    if (status === 429) {
      var minutes = Math.max(1, Math.ceil((parseInt(problem.retryAfter, 10) || 60) / 60));
      return "Too many reports were sent from here. Please try again in " + minutes + " minute" + (minutes > 1 ? "s" : "") + ".";
    }
    if (status === 403 || status === 401) return "Reports cannot be sent from this page (" + (data.message || "not allowed") + ").";
    return "The report could not be sent. Please try again later.";
  }

  function submit(event) {
    event.preventDefault();
    var f = form.elements;
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (c) { c.removeAttribute("aria-invalid"); });
    var file = f.screenshot.files && f.screenshot.files[0];
    var sending = form.querySelector("button[type=submit]");
    sending.disabled = true;
    say("Sending…");
    (file ? post("/reports/screenshot", file, { "Content-Type": file.type || "application/octet-stream" })
      : Promise.resolve(null)).then(function (shot) {
      return post("/reports/submit", JSON.stringify({
        title: f.title.value, description: f.description.value, steps_to_reproduce: f.steps_to_reproduce.value,
        priority: f.priority.value, reporter_email: f.reporter_email.value, website: f.website.value,
        report_type: "bug", url: location.href, event_id: lastEventId(),
        session_id: (window.pgwarden && window.pgwarden.sessionId) || null,
        screenshot_urls: shot ? [shot.url] : [],
        browser_info: { userAgent: navigator.userAgent, language: navigator.language,
                        viewport: innerWidth + "x" + innerHeight, screen: screen.width + "x" + screen.height,
                        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone }
      }), { "Content-Type": "application/json" });
    }).then(function (report) {
      form.reset();
      say("Thank you, your report was received (reference " + String(report.id).slice(0, 8) + "). ");
      statusBox.appendChild(el("a", { href: web + "/reports/status/" + report.status_token, target: "_blank",
                                      rel: "noopener", class: "pgw-track" }, ["Follow its status"]));
      window.pgwardenReport.last = report;
      document.dispatchEvent(new CustomEvent("pgwarden:report", { detail: report }));
    }, function (problem) {
      say(explain(problem), true);
    }).then(function () { sending.disabled = false; });
  }

  window.pgwardenReport = { open: open, close: close, last: null };
  function addButton() {
    document.head.appendChild(el("style", {}, [STYLE]));
    if (script.getAttribute("data-button") === "none") return;
    var button = el("button", { type: "button", class: "pgw-button", "aria-haspopup": "dialog" },
                    [script.getAttribute("data-label") || "Report a problem"]);
    button.addEventListener("click", open);
    document.body.appendChild(button);
  }
  if (document.body) addButton(); else document.addEventListener("DOMContentLoaded", addButton);
})();
