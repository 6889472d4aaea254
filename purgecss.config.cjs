// The Bootstrap rules the site's pages use. `make css` runs PurgeCSS with this file over
// frontend/bootstrap/bootstrap.min.css (Bootstrap as released) and writes the result to
// static/vendor/bootstrap/bootstrap.purged.min.css, the stylesheet the pages link; run it
// again after adding a Bootstrap class to a template, a form or a script.
//
// PYTHON_TEMPLATES lists (colon-separated) the template folders of installed Django apps
// whose templates render on our pages (crispy-bootstrap5, allauth); the Makefile finds them.
const extra = (process.env.PYTHON_TEMPLATES || "").split(":").filter(Boolean);

module.exports = {
  css: ["frontend/bootstrap/bootstrap.min.css"],
  content: [
    "templates/**/*.html",
    "static/js/**/*.js",
    "{catalog,registration,certificates,polaris}/**/*.py",
    ...extra.map((dir) => `${dir}/**/*.html`),
  ],
  // Class names built at run time: the message level (alert-{{ level }}) and the states
  // the menu button toggles (static/js/site.js).
  safelist: {
    standard: ["show", "collapsed", "collapsing", /^alert-/, /^text-bg-/],
  },
  keyframes: true,
  variables: true,
  fontFace: true,
};
