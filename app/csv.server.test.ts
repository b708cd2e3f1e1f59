import { describe, expect, it } from "vitest";
import { csvResponse, neutralise } from "./csv.server";

describe("CSV downloads", () => {
  it("quotes commas, quotes and newlines and ends rows with CRLF", async () => {
    const response = csvResponse(
      "log.csv",
      ["a", "b"],
      [
        ["x, y", 'say "hi"'],
        ["line\nbreak", 3],
      ],
    );
    expect(await response.text()).toBe('a,b\r\n"x, y","say ""hi"""\r\n"line\nbreak",3\r\n');
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="log.csv"');
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("keeps a spreadsheet from running a cell as a formula, but leaves numbers alone", () => {
    expect(neutralise("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(neutralise("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(neutralise("-2+3")).toBe("'-2+3");
    expect(neutralise(-2)).toBe("-2");
    expect(neutralise(null)).toBe("");
  });

  it("never lets a file name break out of its header", () => {
    const response = csvResponse('a"b\r\nc.csv', ["x"], []);
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="a-b--c.csv"');
  });
});
