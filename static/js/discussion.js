// The live discussion on a signal's page (CONTRACT.md, WebSocket protocol).
//
// The page works without this file: the history is server-rendered and the form posts over HTTP.
// With it, the page connects to ws/signals/<id>/, inserts the fragments the server renders, sends
// messages over the socket (a client id per message makes retries safe), reconnects with jittered
// back-off and asks the server (`sync`) for what it missed. No framework, no inline script.

const root = document.getElementById("discussion");

// An earlier window of a long discussion is not live (the section has no socket then).
if (root && root.dataset.socket && "WebSocket" in window) {
  const text = root.dataset;
  const list = document.getElementById("messages");
  const form = root.querySelector("form.message-form");
  const body = form ? form.querySelector("textarea[name=body]") : null;
  const stateLine = root.querySelector("[data-live-state]");
  const connection = root.querySelector("[data-connection]");
  const presence = root.querySelector("[data-presence]");
  const typingLine = root.querySelector("[data-typing]");
  const announcer = root.querySelector("[data-announcer]");
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  const url = scheme + window.location.host + text.socket;

  const mine = new Set(); // client ids sent from this tab
  const pending = new Map(); // client id -> frame, until the server confirms it
  let lastId = 0;
  let socket = null;
  let attempts = 0;
  let typingSent = 0;
  let typingTimer = null;
  let stopped = false;

  list.querySelectorAll(".entry[data-id]").forEach((entry) => {
    lastId = Math.max(lastId, Number(entry.dataset.id));
  });

  const clientId = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };

  const fragment = (html) => {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content;
  };

  const showState = (state) => {
    stateLine.hidden = false;
    root.dataset.state = state;
    connection.textContent = text[`text${state[0].toUpperCase()}${state.slice(1)}`] || "";
  };

  const showError = (detail) => {
    if (!form) return;
    let line = form.querySelector(".error[data-live]");
    if (!line) {
      line = document.createElement("p");
      line.className = "error";
      line.setAttribute("role", "alert");
      line.dataset.live = "";
      form.prepend(line);
    }
    line.textContent = detail;
  };

  const clearError = () => {
    const line = form && form.querySelector(".error[data-live]");
    if (line) line.remove();
  };

  // The viewer's actions for a message that arrived live: a copy of the page's template with its id.
  const actionsFor = (id, own) => {
    const template = document.getElementById(own ? "actions-mine" : "actions-others");
    if (!template) return null;
    const copy = template.content.cloneNode(true);
    copy.querySelectorAll("form[action], a[href]").forEach((node) => {
      const attribute = node.tagName === "A" ? "href" : "action";
      node.setAttribute(attribute, node.getAttribute(attribute).replace("/messages/0/", `/messages/${id}/`));
    });
    copy.querySelectorAll("[id='reason-0']").forEach((node) => (node.id = `reason-${id}`));
    copy.querySelectorAll("[for='reason-0']").forEach((node) => node.setAttribute("for", `reason-${id}`));
    return copy;
  };

  const messageNew = (message) => {
    const own = mine.has(message.client_id);
    if (own) {
      pending.delete(message.client_id);
      if (body && body.dataset.sending === message.client_id) {
        body.value = "";
        delete body.dataset.sending;
        form.querySelectorAll("input[name=confirm]").forEach((box) => box.closest("div").remove());
      }
    }
    const existing = document.getElementById(`entry-${message.id}`);
    if (existing) {
      existing.querySelector("article.message").replaceWith(fragment(message.html));
      return;
    }
    const entry = document.createElement("li");
    entry.className = "entry";
    entry.id = `entry-${message.id}`;
    entry.dataset.id = message.id;
    entry.append(fragment(message.html));
    const actions = actionsFor(message.id, own);
    if (actions) entry.append(actions);
    const empty = list.querySelector("li.empty");
    if (empty) empty.remove();
    // Keep the order by id, whatever order the events came in.
    const later = Array.from(list.children).find((node) => Number(node.dataset.id) > message.id);
    list.insertBefore(entry, later || null);
    lastId = Math.max(lastId, message.id);
    if (!own) {
      announcer.textContent = `${text.textNew} ${message.author.label}`;
      typingLine.textContent = "";
    }
  };

  const messageUpdated = (message) => {
    const existing = document.getElementById(`entry-${message.id}`);
    if (existing) existing.querySelector("article.message").replaceWith(fragment(message.html));
  };

  const handle = (event) => {
    switch (event.type) {
      case "message.new":
        messageNew(event.message);
        break;
      case "message.updated":
        messageUpdated(event.message);
        break;
      case "recognitions": {
        const figures = document.getElementById("recognition-figures");
        if (figures) figures.innerHTML = event.html;
        break;
      }
      case "status": {
        const badge = document.getElementById("signal-status");
        const timeline = document.getElementById("timeline");
        if (badge) badge.innerHTML = event.html;
        if (timeline) timeline.innerHTML = event.timeline;
        // A move that no longer starts from the new status would only be refused: hide it.
        const moves = document.getElementById("moves");
        if (moves) {
          for (const move of moves.querySelectorAll("form.move[data-sources]")) {
            move.hidden = !move.dataset.sources.split(" ").includes(event.status);
          }
          moves.hidden = !moves.querySelector("form.move:not([hidden])");
        }
        break;
      }
      case "presence":
        presence.textContent = event.text;
        break;
      case "typing":
        typingLine.textContent = `${event.name} ${text.textTyping}`;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => (typingLine.textContent = ""), 4000);
        break;
      case "error":
        if (event.code === "personal_data" && form && body && body.dataset.sending) {
          // The page's own path shows each finding with a checkbox: let the form post over HTTP.
          pending.delete(body.dataset.sending);
          delete body.dataset.sending;
          form.submit();
          return;
        }
        if (body && body.dataset.sending) {
          pending.delete(body.dataset.sending);
          delete body.dataset.sending;
        }
        showError(event.detail);
        break;
      default:
        break;
    }
  };

  const send = (frame) => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  };

  const connect = () => {
    showState("connecting");
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      attempts = 0;
      showState("connected");
      send({ type: "sync", after: lastId });
      pending.forEach((frame) => send(frame)); // the same client ids: never twice
    });
    socket.addEventListener("message", (message) => {
      try {
        handle(JSON.parse(message.data));
      } catch (error) {
        console.error("discussion: could not handle an event", error);
      }
    });
    socket.addEventListener("close", (closed) => {
      socket = null;
      showState("offline");
      presence.textContent = "";
      // 4401: signed out; 4404: no access any more. Coming back would be refused the same way.
      if (stopped || closed.code === 4401 || closed.code === 4404) return;
      const delay = Math.min(30000, 500 * 2 ** attempts) * (0.5 + Math.random());
      attempts += 1;
      setTimeout(connect, delay);
    });
  };

  if (form && body) {
    form.addEventListener("submit", (submitted) => {
      const value = body.value;
      if (!value.trim() || !socket || socket.readyState !== WebSocket.OPEN) return; // the HTTP path
      submitted.preventDefault();
      clearError();
      const id = clientId();
      const confirmed = Array.from(form.querySelectorAll("input[name=confirm]:checked"), (box) => box.value);
      const frame = { type: "message.send", body: value, client_id: id, confirmed_findings: confirmed };
      mine.add(id);
      pending.set(id, frame);
      body.dataset.sending = id;
      send(frame);
    });
    body.addEventListener("input", () => {
      const now = Date.now();
      if (now - typingSent > 3000 && send({ type: "typing" })) typingSent = now;
    });
  }

  window.addEventListener("pagehide", () => {
    stopped = true;
    if (socket) socket.close();
  });
  window.addEventListener("pageshow", (shown) => {
    if (shown.persisted && !socket) {
      stopped = false; // back from the browser's page cache: catch up
      connect();
    }
  });
  connect();
}
