"""Keyboard and URL for an animated plotly figure that plays in the browser.

The figure's own controls (attnviz.stepfig.animated_figure: play buttons at several speeds, pause, a
slider over the steps) run plotly's animation in the browser, with no server round trip per step. plotly
draws them in SVG, which a keyboard cannot reach, and it does not know the page's URL. This small
component (st.components.v2, JavaScript in the app's page, no iframe) adds both:

- each play/pause button becomes focusable (Tab) with its label as its name, and Enter or Space press it;
  the slider becomes focusable too, a `role="slider"` with its step as its value;
- with no text box focused, Left/Right go a step back/on, Home/End to the first/last step, Space (or K)
  plays from the step shown or pauses;
- the step shown and the speed last played are written to the URL (`step=`, `speed=`) as they change, so
  a copied link opens there; when the step settles (a key or the slider let go, a pause, the end) it is
  also sent to Python, so that the page's next run (the long view, another sentence) carries on there.
  (Streamlit keeps its own copy of the URL's query, so Python would not see the URL change.)

It presses plotly's own controls (a click on a button, a press on the slider's rail at a step's tick), so
what plays is exactly the figure's animation. The element it drives is the chart with the given key
(Streamlit gives a keyed element the class `st-key-<key>`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

JS = """
export default function (component) {
  const { data, setStateValue } = component;
  const speeds = data.speeds;  // seconds per step of the figure's play buttons, in their order
  let speed = Math.max(0, speeds.indexOf(data.speed));
  let playing = false;
  let gd = null;
  let closed = false;

  const chart = () => document.querySelector(`.st-key-${data.key} .js-plotly-plot`);
  const setUrl = (name, value) => {
    const url = new URL(window.location.href);
    url.searchParams.set(name, String(value));
    window.history.replaceState(window.history.state, "", url);
  };
  const slider = () => gd && gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[0];
  const buttons = () => gd ? [...gd.querySelectorAll(".updatemenu-button")] : [];
  const press = (el) => el && el.dispatchEvent(new MouseEvent("click", { bubbles: true }));

  function goTo(k) {
    const s = slider();
    if (!s) return;
    k = Math.max(0, Math.min(s.steps.length - 1, k));
    if (k === s.active) return;
    const tick = gd.querySelectorAll(".slider-tick-rect")[k];
    const rail = gd.querySelector(".slider-rail-touch-rect");
    if (!tick || !rail) return;
    const box = tick.getBoundingClientRect();
    const at = { clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, bubbles: true };
    rail.dispatchEvent(new MouseEvent("mousedown", at));
    gd.dispatchEvent(new MouseEvent("mouseup", at));
  }

  function play(index) {
    const s = slider();
    if (!s) return;
    if (index !== undefined) speed = index;
    if (s.active >= s.steps.length - 1) goTo(0);  // from the start again, once at the end
    window.requestAnimationFrame(() => press(buttons()[speed]));
  }

  const pause = () => press(buttons()[speeds.length]);

  function reachable() {
    // The play buttons play "fromcurrent": from the frame after plotly's current one. A figure opened at
    // step k (a link, a page run) has no current frame yet and would play from step 1: the slider's step
    // is the current frame.
    const s = slider();
    if (s && !playing) gd._fullLayout._currentFrame = s.steps[s.active].label;
    // plotly redraws its controls on every frame: label them again each time.
    buttons().forEach((el) => {
      if (el.getAttribute("tabindex") === "0") return;
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", el.textContent.trim());
      el.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          ev.stopPropagation();
          press(el);
        }
      });
    });
    const group = gd.querySelector(".slider-group");
    if (group && s) {
      if (group.getAttribute("tabindex") !== "0") {
        group.setAttribute("tabindex", "0");
        group.setAttribute("role", "slider");
        group.setAttribute("aria-label", data.label);
      }
      group.setAttribute("aria-valuemin", "1");
      group.setAttribute("aria-valuemax", String(s.steps.length));
      group.setAttribute("aria-valuenow", String(s.active + 1));
    }
  }

  function onKey(ev) {
    if (closed || !gd || !document.body.contains(gd)) return;
    const target = ev.target;
    const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const s = slider();
    if (!s) return;
    const last = s.steps.length - 1;
    const moves = { ArrowLeft: s.active - 1, ArrowRight: s.active + 1, Home: 0, End: last };
    if (ev.key in moves) {
      ev.preventDefault();
      ev.stopPropagation();
      if (playing) pause();
      goTo(moves[ev.key]);
    } else if ((ev.key === " " && !(target instanceof HTMLButtonElement)) || ev.key === "k") {
      if (target && target.closest && target.closest(".updatemenu-button")) return;
      ev.preventDefault();
      playing ? pause() : play();
    }
  }

  // Python hears of the step only when it settles (a press on the slider or a key done, a pause, the
  // end): each report is a page run, which must not interrupt the animation or a drag.
  let told = data.step;
  const tell = () => {
    const s = slider();
    if (!s || s.active + 1 === told) return;
    told = s.active + 1;
    setStateValue("shown", { step: told, speed: speeds[speed] });
  };
  const handlers = {
    plotly_sliderchange: (ev) => {
      setUrl("step", ev.step.label);
      reachable();
    },
    plotly_sliderend: () => { if (!playing) tell(); },
    plotly_afterplot: () => reachable(),
    plotly_animatingframe: () => { playing = true; },
    plotly_animated: () => { playing = false; tell(); },
    plotly_animationinterrupted: () => { playing = false; tell(); },
    plotly_buttonclicked: (ev) => {
      const index = ev.button && ev.menu ? ev.menu.buttons.indexOf(ev.button) : -1;
      if (index >= 0 && index < speeds.length) {
        speed = index;
        setUrl("speed", speeds[index]);
      }
    },
  };

  function attach() {
    if (closed) return;
    gd = chart();
    if (!gd || !gd.on || !slider()) {
      window.setTimeout(attach, 100);  // the chart is drawn after this component mounts
      return;
    }
    Object.entries(handlers).forEach(([name, fn]) => gd.on(name, fn));
    reachable();
    // Its whole height on the screen, as little scrolled as that takes (the page's header stays clear).
    const below = gd.getBoundingClientRect().bottom > window.innerHeight;
    if (data.scroll && below) gd.scrollIntoView({ block: "end" });
  }

  document.addEventListener("keydown", onKey, true);
  attach();
  return () => {
    closed = true;
    document.removeEventListener("keydown", onKey, true);
    if (!gd || !gd.removeListener) return;
    Object.entries(handlers).forEach(([name, fn]) => gd.removeListener(name, fn));
  };
}
"""

_player = st.components.v2.component("attnviz_player", js=JS)


def player(
    key: str,
    step: int,
    on_step: Callable[[int, float | None], None],
    speeds: Sequence[float],
    speed: float,
    label: str,
    scroll: bool = False,
) -> None:
    """Keyboard and URL for the animated chart drawn with `key`, which shows step `step` (1-based);
    `on_step(k, seconds)` is called, before the page's next run, with the step the browser settled on and
    the speed last played (None if none). `speeds` are the chart's play buttons' seconds per step (then
    comes its pause button), `speed` the one Space plays, `label` the slider's name for a screen reader;
    `scroll` scrolls the chart's whole height into view."""
    mine = f"{key}-player"

    def settled() -> None:
        value = st.session_state[mine]
        shown = value.get("shown") if isinstance(value, Mapping) else getattr(value, "shown", None)
        if isinstance(shown, Mapping) and isinstance(shown.get("step"), int):
            speed = shown.get("speed")
            on_step(shown["step"], speed if speed in speeds else None)

    _player(
        key=mine,
        data={
            "key": key,
            "step": step,
            "speeds": list(speeds),
            "speed": speed,
            "label": label,
            "scroll": scroll,
        },
        on_shown_change=settled,
    )
