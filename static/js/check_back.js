// One click from the email: this page sends the answer its link stands for at once. A mail scanner
// that opens the links without running scripts records nothing; without JavaScript the button does it.
const form = document.querySelector("form[data-auto-submit]");
if (form) form.submit();
