// Enhancement only: every page works without JavaScript. GOV.UK Frontend's components
// (error summary focus, service navigation toggle, radios, details...) start here.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// A page waiting for a job (an element with data-app-poll="<status>"): fetch the page again
// every few seconds and reload it once the status changes. Without JavaScript the page has a
// "Check again" link instead (a meta refresh would fail WCAG 2.2.1).
const waiting = document.querySelector("[data-app-poll]");
if (waiting) {
  const was = waiting.getAttribute("data-app-poll");
  const check = async () => {
    try {
      const resp = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      const now = doc.querySelector("[data-app-poll]");
      if (resp.ok && (!now || now.getAttribute("data-app-poll") !== was)) {
        const url = new URL(window.location.href);
        url.searchParams.delete("done"); // the last page's success banner has been read
        url.searchParams.delete("sig");
        window.location.replace(url.toString());
        return;
      }
    } catch (e) {
      // offline for a moment: try again later
    }
    window.setTimeout(check, 2000);
  };
  window.setTimeout(check, 2000);
}

// "Print this letter": a link that prints, shown only when JavaScript runs (without it, the
// page says how to print with the browser's own command)
for (const link of document.querySelectorAll(".app-print-link")) {
  link.hidden = false;
  for (const hint of document.querySelectorAll(".app-print-hint")) hint.hidden = true;
  link.addEventListener("click", (event) => { event.preventDefault(); window.print(); });
}
