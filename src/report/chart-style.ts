/** The look shared by every chart autotrex draws (results and trend), so they read as one set. */

export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";
export const TEXT_COLOR = "#222222";
export const MUTED_COLOR = "#555555";
export const GRID_COLOR = "#e3e3e3";

/** An axis title in the shared style. */
export function axisTitle(text: string): {
  display: true;
  text: string;
  color: string;
  font: { family: string; size: number };
} {
  return { display: true, text, color: TEXT_COLOR, font: { family: FONT_FAMILY, size: 16 } };
}
