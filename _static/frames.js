// Sliders over precomputed frames (pglib.frames): the web book has no kernel, so each
// widget experiment ships the figure drawn at every position of its main control, and
// this script shows the frame the range input points at. Without scripts the page shows
// the default frame alone (the control stays hidden).
(function () {
  "use strict";
  function wire(box) {
    var control = box.querySelector(".pglib-frames-control");
    var input = control && control.querySelector("input[type=range]");
    var output = control && control.querySelector("output");
    var frames = box.querySelectorAll("img.pglib-frame");
    if (!input || !output || !frames.length) return;
    var texts = JSON.parse(input.dataset.texts);
    var label = input.dataset.label;
    function show() {
      var k = Number(input.value);
      frames.forEach(function (img, i) { img.classList.toggle("pglib-frame-hidden", i !== k); });
      var text = label + " = " + texts[k];
      output.textContent = text;
      input.setAttribute("aria-valuetext", text);
    }
    input.addEventListener("input", show);
    control.hidden = false;
    show();
  }
  function init() { document.querySelectorAll(".pglib-frames").forEach(wire); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
