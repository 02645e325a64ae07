// Sorting for the appendix tables: a click on a column heading sorts by that column,
// numbers by value (data-sort), words alphabetically; a second click reverses.
(function () {
  function key(cell) {
    var given = cell.getAttribute("data-sort");
    if (given !== null && given !== "") { return { number: true, value: parseFloat(given) }; }
    return { number: false, value: cell.textContent.trim().toLowerCase() };
  }
  function compare(a, b) {
    if (a.number && b.number) { return a.value - b.value; }
    if (a.number !== b.number) { return a.number ? -1 : 1; }
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headings = table.querySelectorAll("thead th");
    headings.forEach(function (heading, column) {
      var button = heading.querySelector("button.sort");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = heading.getAttribute("aria-sort") !== "ascending";
        headings.forEach(function (other) { other.removeAttribute("aria-sort"); });
        heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var order = compare(key(a.cells[column]), key(b.cells[column]));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
