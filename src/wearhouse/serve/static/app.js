// Wearhouse dashboard: hash routing (#/overview, #/users/<id>, #/cohorts/<month>, #/gyms/<date>),
// the token dialog, and the error and empty states every page shares.

import { adoptTokenFromUrl, setToken, token } from "./api.js";
import { clearCharts } from "./charts.js";
import { el, state } from "./dom.js";
import { connect, liveTile, reconnect } from "./live.js";
import { cohorts, gyms, overview, user } from "./pages.js";

const PAGES = { overview, users: user, cohorts, gyms };
const main = document.getElementById("page");
const dialog = document.getElementById("token-dialog");
let rendering = 0;

function route() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return PAGES[name] ? [name, rest] : ["overview", []];
}

async function render() {
  const [name, params] = route();
  const ticket = ++rendering;
  document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  document.body.dataset.page = name;
  document.body.dataset.ready = "false";
  clearCharts();
  main.replaceChildren(el("div", { class: "loading" }, "Loading…"));
  const target = el("div");
  try {
    await PAGES[name](target, params);
    if (ticket !== rendering) return; // the reader moved on meanwhile
    main.replaceChildren(...target.childNodes);
  } catch (error) {
    if (ticket !== rendering) return;
    const shown = problem(error);
    // Readings arrive before any transform: the overview keeps its live tile whatever gold says.
    main.replaceChildren(name === "overview" && error.status !== 401 ? el("div", { class: "grid main-side" }, shown, liveTile()) : shown);
    if (error.code === "gold_unavailable") setTimeout(() => ticket === rendering && render(), 2000);
  }
  document.body.dataset.ready = "true";
}

function problem(error) {
  if (error.status === 401) {
    askToken(token()
      ? `The server refused this token (${error.message}). Paste another one.`
      : "The server needs a bearer token. Create one with `wearhouse token create --role analyst` and paste it here; it is kept in this browser only.");
    return state("A token is needed", "Use the Token button (top right) with an analyst or admin token.", "error");
  }
  if (error.status === 403) {
    return state("This token cannot see this page", `${error.message}. A user token sees its own page: open Users and type your user id.`, "error");
  }
  if (error.code === "not_built") {
    return el("div", { class: "state" }, el("h3", {}, "No gold yet: run wearhouse transform"), el("p", {}, error.message), el("p", {}, el("code", {}, "wearhouse transform")));
  }
  if (error.code === "gold_unavailable") return state("Gold is loading", error.message);
  if (error.code === "unknown_user") return state("No such user", error.message);
  return state("Something went wrong", error.message || String(error), "error");
}

function askToken(reason) {
  document.getElementById("token-reason").textContent = reason;
  document.getElementById("token-input").value = "";
  if (!dialog.open) dialog.showModal();
}

function showWho() {
  document.getElementById("who").textContent = token() ? "token set" : "no token";
}

document.getElementById("token-button").addEventListener("click", () =>
  askToken("Paste a token made with `wearhouse token create --role analyst`. It is kept in this browser only."));
document.getElementById("token-cancel").addEventListener("click", () => dialog.close());
document.getElementById("token-forget").addEventListener("click", () => {
  setToken("");
  dialog.close();
  showWho();
  reconnect();
  render();
});
document.getElementById("token-form").addEventListener("submit", () => {
  const value = document.getElementById("token-input").value.trim();
  if (!value) return;
  setToken(value);
  showWho();
  reconnect();
  render();
});

adoptTokenFromUrl();
showWho();
window.addEventListener("hashchange", render);
connect((why) => {
  if (why.includes("token")) showWho();
});
render();
