/* The agent's script form (templates/intake/workspace/_script_form.html), keyboard-first.
 *
 * - Conditional fields: each field's wrapper carries its condition in data attributes
 *   (data-cond-field, data-cond-kind, data-cond-values separated by U+001F); a field is shown
 *   when the field it reads is shown and answered as the condition asks. A hidden field is
 *   disabled, so its inputs are not sent; the server checks the same rules again.
 * - Enter in a one-line input moves to the next input instead of submitting the form.
 * - The first visible input gets the focus when the page opens.
 * - While an autosave is on its way, completing waits for it, and no autosave starts once
 *   the form is being submitted (so the revision sent with it is the latest one).
 * - The next-step field is marked required for the dispositions that make a lead.
 */
(function () {
  "use strict";

  var SEPARATOR = "\u001f";

  function wrappers(root) {
    return Array.prototype.slice.call(root.querySelectorAll("fieldset.if-field[data-field]"));
  }

  function answerOf(wrapper) {
    var type = wrapper.dataset.type;
    var inputs = Array.prototype.slice.call(wrapper.querySelectorAll("input, textarea, select"));
    if (type === "yes_no" || (type === "single_choice" && inputs.length && inputs[0].type === "radio")) {
      var picked = inputs.filter(function (i) { return i.checked; })[0];
      if (!picked) return null;
      if (type === "yes_no") return picked.value === "yes";
      return picked.value;
    }
    if (type === "multiple_choice") {
      var ticked = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      return ticked.length ? ticked : null;
    }
    if (type === "address") {
      return inputs.some(function (i) { return i.value.trim() !== ""; }) ? "answered" : null;
    }
    var text = inputs.length ? inputs[0].value.trim() : "";
    if (text === "") return null;
    if (type === "number") {
      var number = parseFloat(text);
      return isNaN(number) ? null : number;
    }
    return text;
  }

  function expected(raw, targetType) {
    return raw.split(SEPARATOR).map(function (text) {
      if (targetType === "yes_no") return text === "True";
      if (targetType === "number") return parseFloat(text);
      return text;
    });
  }

  function satisfied(wrapper, byId, shown) {
    var target = byId[wrapper.dataset.condField];
    if (!target || !shown[target.dataset.field]) return false;
    var answer = answerOf(target);
    if (answer === null) return false;
    if (wrapper.dataset.condKind === "answered") return true;
    var wanted = expected(wrapper.dataset.condValues || "", target.dataset.type);
    var given = Array.isArray(answer) ? answer : [answer];
    return given.some(function (value) {
      return wanted.some(function (want) { return want === value; });
    });
  }

  function applyConditions(root) {
    var all = wrappers(root);
    var byId = {};
    all.forEach(function (w) { byId[w.dataset.field] = w; });
    var shown = {};
    all.forEach(function (w) { shown[w.dataset.field] = !w.dataset.condField; });
    // Conditions may read later fields: settle in at most as many passes as there are fields.
    for (var pass = 0; pass < all.length; pass++) {
      var changed = false;
      all.forEach(function (w) {
        if (!w.dataset.condField) return;
        var now = satisfied(w, byId, shown);
        if (now !== shown[w.dataset.field]) { shown[w.dataset.field] = now; changed = true; }
      });
      if (!changed) break;
    }
    all.forEach(function (w) {
      var visible = shown[w.dataset.field];
      w.hidden = !visible;
      w.disabled = !visible;
    });
  }

  function focusables(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input, textarea, select, button")).filter(function (el) {
      return !el.disabled && el.type !== "hidden" && el.offsetParent !== null;
    });
  }

  function onEnter(event) {
    var el = event.target;
    if (event.key !== "Enter" || event.isComposing) return;
    // A text area takes the line break; a button or a list does what Enter does to it.
    if (el.tagName !== "INPUT" || el.type === "submit" || el.type === "button") return;
    event.preventDefault();
    var list = focusables(el.form);
    var index = list.indexOf(el);
    // Past the other options of the same group, to the next question.
    while (index + 1 < list.length && el.name && list[index + 1].name === el.name) index++;
    if (index + 1 < list.length) list[index + 1].focus();
  }

  function markErrors(form) {
    wrappers(form).forEach(function (w) {
      var error = w.querySelector(".field-error");
      var has = !!(error && error.textContent.trim());
      w.classList.toggle("has-error", has);
      w.querySelectorAll("input, textarea, select").forEach(function (input) {
        if (has) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      });
    });
  }

  function nextStepRule(form) {
    var select = form.querySelector("#disposition");
    var note = form.querySelector("#next-step-note");
    var input = form.querySelector("#next_step");
    if (!select || !note || !input) return;
    var leads = (select.dataset.leadValues || "").split(" ");
    var needed = leads.indexOf(select.value) >= 0;
    note.textContent = needed ? "(needed for this disposition)" : "(needed for a new lead or a booked appointment)";
    input.required = needed;
  }

  function setUp(form) {
    applyConditions(form);
    nextStepRule(form);
    form.addEventListener("input", function () { applyConditions(form); });
    form.addEventListener("change", function () { applyConditions(form); nextStepRule(form); });
    form.addEventListener("keydown", onEnter);
    var submitting = false;
    form.addEventListener("submit", function (event) {
      if (form.classList.contains("htmx-request")) {
        // An autosave is on its way: submit once it has answered with the new revision.
        event.preventDefault();
        var submitter = event.submitter;
        form.addEventListener("htmx:afterRequest", function () {
          form.requestSubmit(submitter || undefined);
        }, { once: true });
        return;
      }
      submitting = true;
    });
    form.addEventListener("htmx:beforeRequest", function (event) {
      if (submitting) event.preventDefault();
    });
    document.body.addEventListener("htmx:afterSettle", function () { markErrors(form); });
    if (!document.activeElement || document.activeElement === document.body) {
      // After a refused completion, the first answer to fix; else the first question.
      var scope = form.querySelector("fieldset.if-field.has-error:not([hidden])") || form;
      var first = focusables(scope).filter(function (el) {
        return el.closest("[data-intake-fields]");
      })[0];
      if (first) first.focus();
    }
  }

  function start() {
    document.querySelectorAll("form[data-intake-form]").forEach(setUp);
    // The builder's preview: conditions only.
    document.querySelectorAll("[data-intake-fields]").forEach(function (fields) {
      if (fields.closest("form[data-intake-form]")) return;
      applyConditions(fields);
      fields.addEventListener("input", function () { applyConditions(fields); });
      fields.addEventListener("change", function () { applyConditions(fields); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
