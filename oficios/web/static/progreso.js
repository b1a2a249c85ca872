// Live progress of a batch: server-sent events update the bar and its text; when the
// batch ends the page reloads to show the downloads (or the error).
(function () {
  "use strict";
  var box = document.getElementById("progreso");
  if (!box || !window.EventSource) { return; }
  var state = box.dataset.estado;
  if (state === "completo" || state === "error") { return; }
  var bar = document.getElementById("barra");
  var text = document.getElementById("progreso-texto");
  var source = new EventSource(box.dataset.eventos);
  source.onmessage = function (event) {
    var s = JSON.parse(event.data);
    bar.max = s.total || 1;
    bar.value = s.hechas;
    text.textContent = s.texto;
    box.dataset.hechas = s.hechas;
    if (s.estado === "completo" || s.estado === "error") {
      source.close();
      window.location.reload();
    }
  };
}());
