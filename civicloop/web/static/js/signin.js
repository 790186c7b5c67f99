// The one sign-in form of every page: a role the page is not for is signed out again with
// `refusal` as the reason; a wrong password puts the focus back on the password.
import { signIn, signOut } from "./api.js";
import { field, h, submitting } from "./ui.js";

export function signInForm({ heading, message = "", accept = () => true, refusal = "", onSignedIn, boxed = true }) {
  const form = h(boxed ? "form.signin" : "form", { "aria-label": "登录" }, heading,
    h("p.form-error", { role: "alert" }, message),
    field("用户名", h("input", { name: "username", autocomplete: "username", required: true })),
    field("密码", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "登录"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const me = await signIn(form.elements.username.value.trim(), form.elements.password.value);
      if (!accept(me)) {
        signOut();
        throw new Error(refusal);
      }
      await onSignedIn(me);
    }).then(() => {
      if (form.querySelector(".form-error").textContent && !form.querySelector(".field-error")) form.elements.password.focus();
    });
  });
  return form;
}
