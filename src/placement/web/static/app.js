// Enhancement only: every page works without JavaScript. GOV.UK Frontend's components
// (error summary focus, service navigation toggle, radios, details...) start here.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
