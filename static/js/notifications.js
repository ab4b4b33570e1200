// The bell: the unread count and new notifications, live, from ws/notifications/ (CONTRACT.md).
// Without JavaScript the header shows the count of the page load and /notifications/ the list.
const bell = document.querySelector("[data-bell]");

if (bell) {
  const badge = bell.querySelector("[data-unread]");
  const announcer = document.querySelector("[data-bell-announcer]");
  const list = document.querySelector("[data-live-list]");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${window.location.host}${bell.dataset.bell}`;
  let attempts = 0;

  const showCount = (unread, text) => {
    badge.textContent = text;
    badge.hidden = unread === 0;
    bell.dataset.count = String(unread);
  };

  const handle = (event) => {
    if (event.type === "notification.unread") {
      showCount(event.unread, event.unread_text);
    } else if (event.type === "notification.new") {
      showCount(event.unread, event.unread_text);
      if (announcer) announcer.textContent = event.notification.text;
      if (list && event.notification.html) {
        const template = document.createElement("template");
        template.innerHTML = event.notification.html.trim(); // rendered and escaped by the server
        const item = template.content.firstElementChild;
        document.getElementById(item.id)?.remove(); // a grouped notification moves to the top
        list.querySelector("li.empty")?.remove();
        list.prepend(item);
      }
    }
  };

  const connect = () => {
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      attempts = 0;
    });
    socket.addEventListener("message", (message) => {
      try {
        handle(JSON.parse(message.data));
      } catch (error) {
        console.error("notifications: could not handle an event", error);
      }
    });
    socket.addEventListener("close", (closed) => {
      if (closed.code === 4401) return; // signed out: coming back would be refused
      const delay = Math.min(30000, 1000 * 2 ** attempts) * (0.5 + Math.random());
      attempts += 1;
      setTimeout(connect, delay);
    });
  };

  connect();
}
