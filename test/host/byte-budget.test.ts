/** The host's byte budget on its own. */
import { describe, expect, it } from "vitest";
import { ByteBudget, Reservation } from "../../host/admission/byte-budget.ts";

describe("the byte budget", () => {
  it("refuses past the host's bound or an environment's share, and gives back what is released", () => {
    const budget = new ByteBudget(100, 60);
    const a = budget.reserve("a", 50) as Reservation;
    expect(budget.reserve("a", 20)).toBe("environment");
    const b = budget.reserve("b", 40) as Reservation;
    expect(budget.reserve("c", 20)).toBe("host");
    expect(b.grow(20)).toBe("host");
    a.release();
    a.release();
    expect(budget.held()).toBe(40);
    expect(b.grow(20)).toBeUndefined();
    b.add(1000);
    expect(budget.held("b")).toBe(1060);
    b.release();
    expect(budget.held()).toBe(0);
    expect(budget.environments()).toEqual([]);
  });
});
