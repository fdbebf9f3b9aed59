/* Plain-JS federated "extension" without plugins. Its only job: when the page's
 * shared scope has no @jupyterlab/console at all (the jupyterlab-rise slideshow app),
 * register a placeholder that exports the IConsoleTracker token only, so
 * @jupyter-widgets/jupyterlab-manager (which imports that token for an OPTIONAL
 * service) can be loaded. In JupyterLab itself the core's real module is present and
 * this script registers nothing. */
(function () {
  "use strict";
  var NAME = "osteo-rise-console-shim";
  var KEY = "@jupyterlab/console";
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init: function (scope) {
      if (!scope || scope[KEY]) {
        return Promise.resolve();
      }
      var placeholder = {
        // Nothing in this page provides the console tracker: the optional service resolves to null.
        IConsoleTracker: { name: "@jupyterlab/console:IConsoleTracker", description: "placeholder (no consoles here)" }
      };
      scope[KEY] = {
        "0.0.1": {
          get: function () { return Promise.resolve(function () { return placeholder; }); },
          from: NAME,
          eager: false,
          loaded: 1
        }
      };
      return Promise.resolve();
    },
    get: function (module) {
      return Promise.reject(new Error(NAME + " exposes no module: " + module));
    }
  };
})();
