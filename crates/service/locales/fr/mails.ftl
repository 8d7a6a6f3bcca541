# Mails
# The mails of an account, in its language (crates/service/src/mail/).
# The French texts are those of the French-only version, byte for byte
# (mail::tests::french_mails_are_unchanged).

## Around every mail
mail-objet = { $academie } : { $objet }
mail-bonjour = Bonjour,
mail-signature = Les télé-services de l'{ $academie }
mail-automatique = Ce courriel est envoyé automatiquement : merci de ne pas y répondre.
mail-bouton-secours = Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :
mail-action = { $action } :

## Pupil account created
mail-eleve-objet = ton compte a été créé
mail-eleve-1 = Ton compte pour les télé-services a été créé. Ton identifiant : { $identifiant }
mail-eleve-2 = Si tu n'es pas à l'origine de cette création, préviens le secrétariat de ton établissement.
mail-eleve-action = Pour te connecter

## Parent account confirmation, and its reminders
mail-confirmation-objet = confirmez la création de votre compte
mail-confirmation-1 = Votre compte pour les télé-services a été créé avec l'identifiant { $identifiant }. Pour l'activer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer mon compte » avant le { $date }.
mail-confirmation-2 = Au-delà de ce délai d'une semaine, le compte est automatiquement supprimé : il faudra le créer à nouveau, avec les mêmes codes d'activation.
mail-confirmation-3 = Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : le compte sera supprimé.
mail-confirmation-action = Confirmer mon compte
mail-rappel-objet = rappel, confirmez la création de votre compte
mail-rappel-1 = Votre compte pour les télé-services, identifiant { $identifiant }, n'est pas encore activé. Pour l'activer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer mon compte » avant le { $date }.
mail-rappel-2 = Ce lien remplace ceux des courriels précédents, qui ne fonctionnent plus. Sans confirmation avant cette date, le compte est automatiquement supprimé : il faudra le créer à nouveau, avec les mêmes codes d'activation.

## Login blocked
mail-blocage-objet = connexion bloquée après plusieurs échecs
mail-blocage-1 = Après plusieurs mots de passe erronés, la connexion au compte { $identifiant } est bloquée pour 24 heures. Si c'est vous, vous pouvez la débloquer tout de suite avec le lien ci-dessous (valable une heure).
mail-blocage-2 = Si ce n'est pas vous, quelqu'un a essayé de deviner votre mot de passe : il n'a pas pu se connecter. Choisissez un mot de passe que vous n'utilisez nulle part ailleurs.
mail-blocage-action = Débloquer mon compte

## Lost identifiant
mail-identifiant-objet = votre identifiant
mail-identifiants-objet = vos identifiants
mail-identifiant-1 = Vous avez demandé votre identifiant pour les télé-services. Le voici : { $liste }
mail-identifiants-1 = Vous avez demandé votre identifiant pour les télé-services. Plusieurs comptes utilisent cette adresse : { $liste }
mail-identifiant-2 = Votre mot de passe n'a pas changé. Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel.
mail-identifiant-action = Pour vous connecter

## Lost password
mail-temporaire-objet = votre mot de passe temporaire
mail-temporaire-1 = Vous avez demandé un nouveau mot de passe pour le compte { $identifiant }. Voici un mot de passe temporaire, valable { $heures } heures et une seule fois : { $temporaire }
mail-temporaire-2 = Connectez-vous avec votre identifiant et ce mot de passe temporaire : vous choisirez aussitôt un nouveau mot de passe. Tant que vous ne l'utilisez pas, votre mot de passe actuel reste valable.
mail-temporaire-3 = Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : votre mot de passe actuel reste valable.
mail-se-connecter = Se connecter

## Password changed
mail-mot-de-passe-objet = votre mot de passe a été modifié
mail-mot-de-passe-1 = Le mot de passe du compte { $identifiant } vient d'être modifié ; les autres sessions ouvertes ont été fermées.
mail-mot-de-passe-2 = Si vous n'êtes pas à l'origine de ce changement, utilisez tout de suite « mot de passe oublié ? » sur la page de connexion, ou prévenez l'établissement.

## Email change
mail-adresse-objet = confirmez votre nouvelle adresse
mail-adresse-1 = Vous avez demandé que le compte { $identifiant } utilise désormais cette adresse. Pour confirmer, ouvrez le lien ci-dessous puis cliquez sur « Confirmer cette adresse » dans les 24 heures.
mail-adresse-2 = Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : rien ne changera.
mail-adresse-action = Confirmer cette adresse
mail-ancienne-objet = changement d'adresse demandé
mail-ancienne-1 = Un changement d'adresse électronique a été demandé pour le compte { $identifiant }. Cette adresse reste celle du compte tant que la nouvelle n'est pas confirmée.
mail-ancienne-2 = Si vous n'êtes pas à l'origine de cette demande, annulez-la avec le lien ci-dessous (valable 24 heures) et changez votre mot de passe.
mail-ancienne-action = Annuler le changement

## Child attached
mail-rattachement-objet = un enfant a été rattaché à votre compte
mail-rattachement-1 = L'élève { $prenom } vient d'être rattaché au compte { $identifiant }.
mail-rattachement-2 = Si vous n'êtes pas à l'origine de ce rattachement, prévenez l'établissement.

## Password-renewal campaign
mail-campagne-objet = choisissez un nouveau mot de passe
mail-campagne-1 = Par mesure de sécurité, les sessions ouvertes avec votre compte ont été fermées et vous devrez choisir un nouveau mot de passe lors de votre prochaine connexion.
mail-campagne-2 = Connectez-vous comme d'habitude avec votre identifiant et votre mot de passe actuel : la page suivante vous demandera le nouveau. Vous n'avez rien à répondre à ce courriel ; aucun agent ne vous demandera jamais votre mot de passe.

## Leaver: account to be deleted
mail-suppression-objet = votre compte va être supprimé
mail-suppression-1 = Le compte { $identifiant } n'est plus rattaché à aucun élève inscrit dans un établissement de l'académie. Il sera supprimé le { $date }, avec les données qu'il contient.
mail-suppression-2 = Si vous pensez qu'il s'agit d'une erreur, prenez contact avec le secrétariat de l'établissement avant cette date.
