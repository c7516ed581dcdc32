// The pages: fleet overview, one user, cohorts by age group, gyms. Each renders into `main`.

import { all, get } from "./api.js";
import { axis, chart, color, xAxis } from "./charts.js";

const categories = { ...xAxis, ticks: { autoSkip: false, maxRotation: 0 } };
import { card, el, fmt, state, table } from "./dom.js";
import { liveTile } from "./live.js";

function head(title, subtitle, ...controls) {
  return el(
    "div", { class: "page-head" },
    el("div", {}, el("h1", {}, title), subtitle && el("p", {}, subtitle)),
    controls.length ? el("div", { class: "controls" }, ...controls) : null,
  );
}

function kpi(label, value, sub) {
  return el("section", { class: "card kpi" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub && el("div", { class: "sub" }, sub));
}

function legend(...items) {
  return el("div", { class: "legend" }, items.map(([name, swatch]) => el("span", {}, el("i", { style: `background:${swatch}` }), name)));
}

function select(options, current, onchange, label) {
  return el(
    "select", { "aria-label": label, onchange: (e) => onchange(e.target.value) },
    options.map(([value, text]) => el("option", { value, selected: value === current }, text)),
  );
}

// --- Overview -------------------------------------------------------------------------------------

export async function overview(main) {
  const [days, users, top] = await Promise.all([
    all("/v1/fleet/daily"),
    get("/v1/fleet/users", { limit: 1 }),
    get("/v1/fleet/users", { order: "steps", limit: 8 }),
  ]);
  if (!days.items.length) {
    main.replaceChildren(head("Fleet overview"), state("No daily data in gold yet", "Ingest some readings, then run wearhouse transform."), liveTile());
    return;
  }
  const latest = days.items.at(-1);
  const labels = days.items.map((d) => fmt.day(d.day));
  const maxSteps = Math.max(...top.items.map((u) => u.avg_daily_steps));
  main.replaceChildren(
    head("Fleet overview", `${days.items.length} days of gold, ${fmt.day(days.items[0].day)} to ${fmt.longDay(latest.day)} (UTC)`),
    el(
      "div", { class: "grid kpis" },
      kpi("Users", fmt.int(users.total), `${fmt.int(latest.users)} with data on ${fmt.day(latest.day)}`),
      kpi("Devices", fmt.int(latest.devices), `reporting on ${fmt.day(latest.day)}`),
      kpi("Heart-rate readings", fmt.compact(latest.readings), `on ${fmt.day(latest.day)} · avg ${fmt.dec(latest.avg_bpm)} bpm`),
      kpi("Steps", fmt.compact(latest.step_count), `on ${fmt.day(latest.day)} · ${fmt.int(latest.avg_steps)} per person`),
    ),
    el(
      "div", { class: "grid main-side", style: "margin-top:16px" },
      el(
        "div", { class: "stack" },
        card(
          "Fleet steps and heart rate", { hint: "per day" },
          chart("fleet-daily", {
            data: {
              labels,
              datasets: [
                { type: "bar", label: "Steps", data: days.items.map((d) => d.step_count), backgroundColor: color("steps-soft"), hoverBackgroundColor: color("steps"), yAxisID: "steps", order: 2, maxBarThickness: 26 },
                { type: "line", label: "Avg BPM", data: days.items.map((d) => d.avg_bpm), borderColor: color("bpm"), backgroundColor: color("bpm"), yAxisID: "bpm", order: 1, borderWidth: 2 },
                { type: "line", label: "Resting BPM", data: days.items.map((d) => d.avg_resting_bpm), borderColor: color("resting"), backgroundColor: color("resting"), yAxisID: "bpm", order: 1, borderWidth: 2, borderDash: [5, 4] },
              ],
            },
            options: {
              interaction: { mode: "index", intersect: false },
              plugins: { legend: { position: "top", align: "end" } },
              scales: {
                x: xAxis,
                steps: axis("steps", { position: "left", beginAtZero: true, ticks: { callback: (v) => fmt.compact(v) } }),
                bpm: axis("bpm", { position: "right", grid: { display: false } }),
              },
            },
          }, "chart tall"),
        ),
        card(
          "Top users", { hint: "by average daily steps, all days" },
          table(
            [
              { label: "User", value: (u) => el("span", { class: "id" }, u.user_id) },
              { label: "Days", value: (u) => fmt.int(u.days), num: true },
              { label: "Steps / day", num: true, value: (u) => el("span", { class: "bar-cell" }, fmt.int(u.avg_daily_steps), el("span", { class: "bar", style: `width:${Math.round((60 * u.avg_daily_steps) / maxSteps)}px` })) },
              { label: "Avg BPM", value: (u) => fmt.dec(u.avg_bpm), num: true },
              { label: "Devices", value: (u) => u.devices.join(", "), cls: "id muted" },
              { label: "Last day", value: (u) => fmt.day(u.last_day), num: true },
            ],
            top.items,
            (u) => { location.hash = `#/users/${encodeURIComponent(u.user_id)}`; },
          ),
        ),
      ),
      liveTile(),
    ),
  );
}

// --- One user -------------------------------------------------------------------------------------

async function userChoices() {
  try {
    return (await all("/v1/fleet/users")).items.map((u) => u.user_id);
  } catch (error) {
    if (error.status === 403) return null; // a user token: it may only see itself
    throw error;
  }
}

export async function user(main, [userId]) {
  const choices = await userChoices();
  if (!userId && choices?.length) {
    location.replace(`#/users/${encodeURIComponent(choices[0])}`);
    return;
  }
  const picker = choices
    ? select(choices.map((id) => [id, id]), userId, (id) => { location.hash = `#/users/${encodeURIComponent(id)}`; }, "User")
    : el("input", { placeholder: "your user id", value: userId || "", "aria-label": "User id", onchange: (e) => { location.hash = `#/users/${encodeURIComponent(e.target.value.trim())}`; } });
  if (!userId) {
    const empty = choices
      ? state("No users yet", "Ingest data and run wearhouse transform.")
      : state("Type your user id", "This token sees one person's data: type that user's id above.");
    main.replaceChildren(head("User", "A person's days, heart rate, sleep and workouts", el("label", {}, "User"), picker), empty);
    return;
  }
  const [daily, workouts] = await Promise.all([
    get(`/v1/users/${encodeURIComponent(userId)}/daily`, { limit: 1000 }),
    get("/v1/workouts/bpm-summary", { user_id: userId, limit: 50 }),
  ]);
  const days = daily.items;
  const labels = days.map((d) => fmt.day(d.day));
  const totalSteps = days.reduce((s, d) => s + d.step_count, 0);
  const sleeps = days.filter((d) => d.sleep_minutes);
  const avgSleep = sleeps.length ? sleeps.reduce((s, d) => s + d.sleep_minutes, 0) / sleeps.length : null;
  const resting = days.filter((d) => d.resting_bpm !== null);
  const avgResting = resting.length ? resting.reduce((s, d) => s + d.resting_bpm, 0) / resting.length : null;
  main.replaceChildren(
    head(`User ${userId}`, `${fmt.longDay(daily.start)} to ${fmt.longDay(daily.end)} (UTC days), ${days.length} with data`, el("label", {}, "User"), picker),
    el(
      "div", { class: "grid kpis" },
      kpi("Steps per day", fmt.int(days.length ? totalSteps / days.length : null), `${fmt.int(totalSteps)} in all`),
      kpi("Resting heart rate", `${fmt.dec(avgResting)} bpm`, "average of the days"),
      kpi("Sleep", avgSleep === null ? "–" : `${Math.floor(avgSleep / 60)} h ${Math.round(avgSleep % 60)} min`, `per night, ${sleeps.length} nights`),
      kpi("Workouts", fmt.int(workouts.total), "completed sessions"),
    ),
    el(
      "div", { class: "grid two", style: "margin-top:16px" },
      card("Daily steps", {}, chart("user-steps", {
        type: "bar",
        data: { labels, datasets: [{ label: "Steps", data: days.map((d) => d.step_count), backgroundColor: color("steps-soft"), hoverBackgroundColor: color("steps"), maxBarThickness: 22 }] },
        options: { plugins: { legend: { display: false } }, scales: { x: xAxis, y: axis("", { beginAtZero: true, ticks: { callback: (v) => fmt.compact(v) } }) } },
      })),
      card("Heart rate and sleep", { hint: "band: daily min to max" }, chart("user-heart-rate", {
        data: {
          labels,
          datasets: [
            { type: "line", label: "Max BPM", data: days.map((d) => d.max_bpm), borderColor: "transparent", tension: 0, backgroundColor: color("bpm-band"), fill: "+1", yAxisID: "bpm", order: 1 },
            { type: "line", label: "Min BPM", data: days.map((d) => d.min_bpm), borderColor: "transparent", tension: 0, backgroundColor: color("bpm-band"), fill: false, yAxisID: "bpm", order: 1 },
            { type: "line", label: "Avg BPM", data: days.map((d) => d.avg_bpm), borderColor: color("bpm"), backgroundColor: color("bpm"), borderWidth: 2, yAxisID: "bpm", order: 0 },
            { type: "line", label: "Resting BPM", data: days.map((d) => d.resting_bpm), borderColor: color("resting"), backgroundColor: color("resting"), borderWidth: 2, borderDash: [5, 4], yAxisID: "bpm", order: 0 },
            { type: "bar", label: "Sleep (h)", data: days.map((d) => (d.sleep_minutes ? d.sleep_minutes / 60 : null)), backgroundColor: color("sleep"), yAxisID: "sleep", order: 2, barPercentage: 1, categoryPercentage: 1 },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { display: false } },
          scales: {
            x: xAxis,
            bpm: axis("bpm", { position: "left" }),
            sleep: axis("sleep h", { position: "right", beginAtZero: true, suggestedMax: 12, grid: { display: false } }),
          },
        },
      }),
      legend(["Avg BPM", color("bpm")], ["Resting BPM", color("resting")], ["Min to max", color("bpm-band")], ["Sleep", color("sleep")])),
    ),
    card(
      "Workouts", { hint: "completed sessions, most recent first" },
      workouts.items.length
        ? el("div", { class: "table-wrap" }, table(
          [
            { label: "Started (UTC)", value: (w) => fmt.when(w.start_time) },
            { label: "Workout", value: (w) => w.workout_id, cls: "id" },
            { label: "Session", value: (w) => w.session_id, cls: "id muted" },
            { label: "Minutes", value: (w) => fmt.int(fmt.minutes(w.start_time, w.end_time)), num: true },
            { label: "Min BPM", value: (w) => fmt.int(w.min_bpm), num: true },
            { label: "Avg BPM", value: (w) => fmt.dec(w.avg_bpm), num: true },
            { label: "Max BPM", value: (w) => fmt.int(w.max_bpm), num: true },
            { label: "Readings", value: (w) => fmt.int(w.num_recordings), num: true },
          ],
          workouts.items,
        ))
        : el("div", { class: "empty-line" }, "No completed workouts for this user."),
    ),
  );
  main.lastElementChild.style.marginTop = "16px";
}

// --- Cohorts --------------------------------------------------------------------------------------

export async function cohorts(main, [month]) {
  const rows = (await all("/v1/cohorts/age-groups/monthly")).items;
  const months = [...new Set(rows.map((r) => r.month))];
  if (!months.length) {
    main.replaceChildren(head("Cohorts by age group"), state("No cohorts yet", "Run wearhouse transform once data has arrived."));
    return;
  }
  const chosen = months.includes(month) ? month : months.at(-1);
  const groups = rows.filter((r) => r.month === chosen);
  const labels = groups.map((r) => r.age_group);
  const picker = select(months.map((m) => [m, fmt.month(m)]), chosen, (m) => { location.hash = `#/cohorts/${m}`; }, "Month");
  main.replaceChildren(
    head("Cohorts by age group", "Age on the day of each measurement; each person counted in the groups they were in that month", el("label", {}, "Month"), picker),
    el(
      "div", { class: "grid two" },
      card("Average sleeping heart rate", { hint: "bpm while asleep" }, chart("cohort-sleep-bpm", {
        type: "bar",
        data: { labels, datasets: [{ label: "Avg sleeping BPM", data: groups.map((r) => r.avg_sleep_bpm), backgroundColor: color("resting"), maxBarThickness: 48 }] },
        options: { plugins: { legend: { display: false } }, scales: { x: categories, y: axis("bpm", { suggestedMin: 40 }) } },
      })),
      card("Average monthly steps", { hint: "mean of each person's month total" }, chart("cohort-steps", {
        type: "bar",
        data: { labels, datasets: [{ label: "Avg monthly steps", data: groups.map((r) => r.avg_monthly_steps), backgroundColor: color("steps"), maxBarThickness: 48 }] },
        options: { plugins: { legend: { display: false } }, scales: { x: categories, y: axis("steps", { beginAtZero: true, ticks: { callback: (v) => fmt.compact(v) } }) } },
      })),
    ),
    card(
      `${fmt.month(chosen)}`, { hint: "by age group" },
      table(
        [
          { label: "Age group", value: (r) => r.age_group },
          { label: "People", value: (r) => fmt.int(r.users), num: true },
          { label: "Avg sleeping BPM", value: (r) => fmt.dec(r.avg_sleep_bpm), num: true },
          { label: "Avg BPM", value: (r) => fmt.dec(r.avg_bpm), num: true },
          { label: "Avg monthly steps", value: (r) => fmt.int(r.avg_monthly_steps), num: true },
          { label: "Readings", value: (r) => fmt.int(r.readings), num: true },
        ],
        groups,
      ),
    ),
  );
  main.lastElementChild.style.marginTop = "16px";
}

// --- Gyms -----------------------------------------------------------------------------------------

function sumBy(rows, key) {
  const out = new Map();
  for (const r of rows) {
    const entry = out.get(r[key]) ?? { gym: 0, exercise: 0, sessions: 0, users: new Set() };
    entry.gym += r.minutes_in_gym ?? 0;
    entry.exercise += r.minutes_exercising ?? 0;
    entry.sessions += 1;
    entry.users.add(r.user_id);
    out.set(r[key], entry);
  }
  return out;
}

function gymBars(name, byKey, labelOf) {
  const keys = [...byKey.keys()];
  return chart(name, {
    type: "bar",
    data: {
      labels: keys.map(labelOf),
      datasets: [
        // Exercising is part of the time in the gym: drawn inside its bar, not beside it.
        { label: "Minutes exercising", data: keys.map((k) => Math.round(byKey.get(k).exercise)), backgroundColor: color("exercise"), barPercentage: 0.42, maxBarThickness: 16 },
        { label: "Minutes in the gym", data: keys.map((k) => Math.round(byKey.get(k).gym)), backgroundColor: color("gym"), barPercentage: 0.75, maxBarThickness: 30 },
      ],
    },
    options: {
      datasets: { bar: { grouped: false } },
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "top", align: "end" } },
      scales: { x: xAxis, y: axis("minutes", { beginAtZero: true }) },
    },
  });
}

export async function gyms(main, [day]) {
  const { items, total } = await all("/v1/gyms/activity");
  if (!items.length) {
    main.replaceChildren(head("Gyms"), state("No gym activity yet", "Gym visits with workouts inside them appear after wearhouse transform."));
    return;
  }
  const rows = [...items].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const byDate = sumBy(rows, "date");
  const dates = [...byDate.keys()];
  const chosen = dates.includes(day) ? day : dates.at(-1);
  const ofDay = rows.filter((r) => r.date === chosen).sort((a, b) => (a.gym_id < b.gym_id ? -1 : 1));
  const byGym = new Map([...sumBy(ofDay, "gym_id")].sort(([a], [b]) => (a < b ? -1 : 1)));
  const picker = select([...dates].reverse().map((d) => [d, fmt.longDay(d)]), chosen, (d) => { location.hash = `#/gyms/${d}`; }, "Date");
  main.replaceChildren(
    head("Gyms", `Workout sessions started inside gym visits${total > items.length ? ` (latest ${items.length} of ${total})` : ""}`, el("label", {}, "Date"), picker),
    card("Every day", { hint: "all gyms, minutes in the gym vs exercising" }, gymBars("gym-by-date", byDate, fmt.day)),
    el(
      "div", { class: "grid two", style: "margin-top:16px" },
      card(`By gym on ${fmt.day(chosen)}`, {}, gymBars("gym-by-gym", byGym, (g) => g)),
      card(
        `Sessions on ${fmt.day(chosen)}`, { hint: `${ofDay.length}` },
        el("div", { class: "table-wrap", style: "max-height:260px" }, table(
          [
            { label: "Gym", value: (r) => r.gym_id, cls: "id" },
            { label: "User", value: (r) => r.user_id, cls: "id" },
            { label: "Login (UTC)", value: (r) => (r.login ? fmt.utcClock(r.login) : "–"), num: true },
            { label: "In gym", value: (r) => `${fmt.int(r.minutes_in_gym)} min`, num: true },
            { label: "Exercising", value: (r) => `${fmt.int(r.minutes_exercising)} min`, num: true },
          ],
          ofDay,
        )),
      ),
    ),
  );
}
