/* Plain-JS federated "extension" without plugins (like osteo-rise-console-shim).
 *
 * Keyboard access to widgets: in a notebook's command mode JupyterLab (and Notebook 7)
 * bind keys such as ArrowDown/ArrowUp (move between cells), Enter (edit the cell) and
 * letters (insert, delete, change cells) for any focused element that is not a text
 * field. A student who Tabs to a widget's dropdown, radio button, checkbox or button
 * and presses an arrow key or Enter therefore moves the notebook instead of the
 * control (measured: tests/browser/test_accessibility.py). Lumino skips its shortcuts
 * for an element marked data-lm-suppress-shortcuts: this script marks each control
 * inside a widget view (.jupyter-widgets) when it receives the focus. Tab and
 * Shift+Tab still leave the control; shortcuts work again everywhere else. */
(function () {
  "use strict";
  var NAME = "osteo-widget-keys";
  var CONTROLS = "select, button, input, textarea, summary, a[href], [role='radio'], [role='checkbox'], [role='slider']";
  if (!window.__osteoWidgetKeys) {
    window.__osteoWidgetKeys = true;
    document.addEventListener(
      "focusin",
      function (event) {
        var target = event.target;
        if (target && target.matches && target.closest && target.matches(CONTROLS) && target.closest(".jupyter-widgets")) {
          target.setAttribute("data-lm-suppress-shortcuts", "true");
        }
      },
      true
    );
  }
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init: function () { return Promise.resolve(); },
    get: function (module) { return Promise.reject(new Error(NAME + " exposes no module: " + module)); }
  };
})();
