// Enhancement only: every page works without JavaScript. GOV.UK Frontend's components
// (error summary focus, service navigation toggle, radios, details...) start here.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// "Print this letter": a link that prints, shown only when JavaScript runs (without it, the
// page says how to print with the browser's own command)
for (const link of document.querySelectorAll(".app-print-link")) {
  link.hidden = false;
  for (const hint of document.querySelectorAll(".app-print-hint")) hint.hidden = true;
  link.addEventListener("click", (event) => { event.preventDefault(); window.print(); });
}
