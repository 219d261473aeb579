// Entry pages of the local Coviu server. No framework, no build step.
//
// 1. Every page: <time data-local> elements are rewritten in the browser's own zone (the HTML
//    carries UTC as the fallback).
// 2. The entry page (<main class="entry">): POST enter, then poll GET state every poll_ms and
//    render it. Polling rather than server-sent events: the answer is tiny, each poll is also
//    the heartbeat that keeps the holder present, and nothing holds a connection open.
//    Other people are rendered with textContent only: names are not trusted HTML.
(function () {
  "use strict";

  var DATE = {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "numeric", minute: "2-digit", timeZoneName: "short",
  };
  var TIME = { hour: "numeric", minute: "2-digit", timeZoneName: "short" };

  function localiseTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.dateTime);
      if (isNaN(when.getTime())) return;
      var options = el.dataset.local === "time" ? TIME : DATE;
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
      el.title = when.toUTCString();
    });
  }
  localiseTimes(document);

  var main = document.querySelector("main.entry");
  if (!main) return;

  var base = main.dataset.base;
  var isHost = main.dataset.role === "HOST";
  var byId = function (id) { return document.getElementById(id); };
  var statusEl = byId("status");
  var announceEl = byId("announce");
  var leaveButton = byId("leave");
  var rejoinButton = byId("rejoin");
  var pollMs = 1500;
  var timer = null;
  var generation = 0; // bumps on every render path change, so a late poll cannot undo an action
  var knownWaiting = null; // tokens seen waiting, to announce arrivals once

  function say(text) {
    if (statusEl.textContent !== text) statusEl.textContent = text;
  }

  function announce(text) {
    // Clear first so the same sentence twice is read twice.
    announceEl.textContent = "";
    window.setTimeout(function () { announceEl.textContent = text; }, 50);
  }

  function call(method, path, body) {
    var init = { method: method, cache: "no-store", credentials: "omit", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(base + path, init).then(function (response) {
      return response.json().then(
        function (data) { return { ok: response.ok, status: response.status, data: data }; },
        function () { return { ok: response.ok, status: response.status, data: null }; }
      );
    });
  }

  function avatar(person) {
    if (person.picture) {
      var img = document.createElement("img");
      img.className = "avatar";
      img.src = person.picture;
      img.alt = "";
      img.width = 40;
      img.height = 40;
      img.referrerPolicy = "no-referrer";
      return img;
    }
    var span = document.createElement("span");
    span.className = "avatar initials";
    span.setAttribute("aria-hidden", "true");
    span.textContent = person.display_name.split(/\s+/).slice(0, 2)
      .map(function (w) { return w.charAt(0); }).join("").toUpperCase() || "?";
    return span;
  }

  function personItem(person, buttons) {
    var li = document.createElement("li");
    li.appendChild(avatar(person));
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = person.display_name;
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = person.you ? " (you)" : person.role === "HOST" ? " (host)" : "";
    name.appendChild(tag);
    li.appendChild(name);
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = b.secondary ? "secondary" : "";
      button.textContent = b.label;
      // The visible label is short; the accessible name says who it is for.
      button.setAttribute("aria-label", b.label + " " + person.display_name);
      button.addEventListener("click", function () {
        button.disabled = true;
        act(b.path, { token: person.token }, person.display_name, b.done);
      });
      li.appendChild(button);
    });
    return li;
  }

  function fill(list, items) {
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (item) { list.appendChild(item); });
  }

  function renderHost(state) {
    var waiting = state.waiting || [];
    var panel = byId("waiting");
    panel.hidden = state.status !== "in";
    byId("waiting-empty").hidden = waiting.length > 0;
    byId("waiting-count").textContent = waiting.length ? "(" + waiting.length + ")" : "";
    fill(byId("waiting-list"), waiting.map(function (p) {
      return personItem(p, [
        { label: "Let in", path: "/admit", done: "is in the session." },
        { label: "Remove", path: "/remove", done: "was removed.", secondary: true },
      ]);
    }));
    var tokens = waiting.map(function (p) { return p.token; });
    if (knownWaiting !== null) {
      var arrived = waiting.filter(function (p) { return knownWaiting.indexOf(p.token) < 0; });
      if (arrived.length) {
        announce(arrived.map(function (p) { return p.display_name; }).join(", ") +
          (arrived.length > 1 ? " are" : " is") + " waiting to be let in.");
      }
    }
    knownWaiting = tokens;
  }

  function render(state) {
    pollMs = state.poll_ms || pollMs;
    main.dataset.status = state.status;
    say(state.message);
    var present = state.status === "in" || state.status === "waiting";
    leaveButton.hidden = !present;
    rejoinButton.hidden = present;
    var people = state.people || [];
    byId("call").hidden = state.status !== "in";
    fill(byId("people"), people.map(function (p) {
      var buttons = [];
      if (isHost && p.token) {
        buttons.push({ label: "Remove", path: "/remove", done: "was removed.", secondary: true });
      }
      return personItem(p, buttons);
    }));
    if (isHost) renderHost(state);
  }

  function refused(answer) {
    // The door closed (ended, cancelled, not open): show why and stop asking.
    stop();
    main.dataset.status = "refused";
    say(answer.data && answer.data.error ? answer.data.error.message : "This link cannot be entered now.");
    leaveButton.hidden = true;
    rejoinButton.hidden = true;
    byId("call").hidden = true;
    if (isHost) byId("waiting").hidden = true;
  }

  function stop() {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    stop();
    timer = window.setTimeout(poll, pollMs);
  }

  function handle(answer, mine) {
    if (mine !== generation) return; // an action started since: its answer wins
    if (answer.ok) {
      render(answer.data);
      var s = answer.data.status;
      if (s === "timed_out" || s === "not_entered") return enter();
      if (s === "in" || s === "waiting") schedule();
      else stop();
    } else if (answer.status >= 500 || answer.data === null) {
      say("Connection lost. Trying again…");
      schedule();
    } else {
      refused(answer);
    }
  }

  function request(method, path, body) {
    var mine = ++generation;
    return call(method, path, body).then(
      function (answer) { handle(answer, mine); return answer; },
      function () {
        if (mine === generation) { say("Connection lost. Trying again…"); schedule(); }
        return null;
      }
    );
  }

  function poll() { return request("GET", "/state"); }
  function enter() { return request("POST", "/enter"); }

  function act(path, body, who, done) {
    stop();
    var mine = ++generation;
    call("POST", path, body).then(function (answer) {
      if (answer.ok) {
        announce(who + " " + done);
        handle(answer, mine);
      } else if (answer.status === 404 || answer.status === 409) {
        // They left or were handled by another host meanwhile: say so, show what is true now.
        announce(answer.data && answer.data.error ? answer.data.error.message : "That did not work.");
        poll();
      } else {
        handle(answer, mine);
      }
    }, function () { say("Connection lost. Trying again…"); schedule(); });
  }

  leaveButton.addEventListener("click", function () { stop(); request("POST", "/leave"); });
  rejoinButton.addEventListener("click", function () { knownWaiting = null; enter(); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer !== null) poll();
  });

  enter();
})();
